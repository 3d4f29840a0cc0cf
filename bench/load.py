"""Load: 20 concurrent dashboard sessions working the Analytics and Users pages for 60 s.

Each session is its own AppTest of app.py (its own session state), run in its own process (AppTest keeps a
process-wide mock runtime, so AppTests cannot run side by side in threads of one process), connected
with the workspace's API key to a demo sandbox in a child process. A session alternates between the
Analytics page and the Users page (with a search typed there), pausing `THINK_S` between interactions
like a person reading the page. The analytics cache is synced once before the clock starts (the cold
sync is measured by `analytics_page`).

Figures:
- `load_sessions`: sessions that ran to the end (target: at least 20);
- `load_errors`: script runs that raised or showed a traceback or an error message (target: 0);
- `load_p95_seconds`: the 95th percentile of script run times over all sessions (target: under 2 s);
- `load_runs`: script runs made in all; `load_median_seconds`, and the p95 per page.

Two replicas (`load_two_replicas`): twice the sessions, half on each of two replicas that share one
PostgreSQL (a throw-away cluster, as the tests start) and each keep their own data directory, in the
same run and on the same machine (both replicas share its cores):
- `load_sessions_two_replicas` (target: at least 40), `load_two_replicas_errors` (target: 0),
  `load_two_replicas_p95_seconds` (target: under 2 s), `load_two_replicas_median_seconds`.
The cache is synced once, on replica A, before the clock starts; replica B's sessions take it from the
database. Both replicas run on this one machine, so their sessions share its cores: the baseline is the
same number of sessions on one replica without PostgreSQL, measured just before in the same run
(`load_forty_one_process_p95_seconds`), and `load_two_replicas_p95_vs_one_process` is the ratio (what
the shared state costs; target: about 1).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import benchmark
from bench._sandbox import sandbox_process

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 20
DURATION_S = float(os.environ.get("CEOX_LOAD_SECONDS", "60"))
THINK_S = 1.0
STARTUP_TIMEOUT_S = 600  # every session process imports Streamlit and runs each page once before the clock starts
PAGES = ("app_pages/analytics.py", "app_pages/users.py")


def _session(api_url: str, api_key: str, number: int, ready: Any,
             environment: dict[str, str]) -> tuple[list[tuple[str, float]], list[str], bool]:
    """One session for `DURATION_S`, timed once every session has imported Streamlit and run each page once
    (`ready`, a barrier shared by all): (script run times, errors, whether it ran to the end).
    `environment` names its replica's data directory and database."""
    os.environ.update(environment)
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest, app_test, local_script_runner

    # A server compiles each script once (its runtime keeps one ScriptCache); AppTest makes a new cache at
    # every run, which would time the compilation of app.py and the page each time instead.
    compiled = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: compiled

    from dashboard.connection import connect

    times: list[tuple[str, float]] = []
    errors: list[str] = []
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["workspace"] = connect(api_url, api_key=api_key, source="server")
        for page in PAGES:  # this process's first runs are not timed: in one server, sessions share the
            # imports and the cached data (the analytics cycles) built at first use. Forty processes doing
            # that at once on two cores take minutes.
            at.switch_page(page).run(timeout=STARTUP_TIMEOUT_S)
        ready.wait(STARTUP_TIMEOUT_S)  # the warm-ups of the others would load the machine otherwise
        begin = time.time()
        time.sleep(number * THINK_S / SESSIONS)
        deadline, step = begin + DURATION_S, 0
        while time.time() < deadline:
            page = PAGES[step % len(PAGES)]
            at.switch_page(page)
            started = time.perf_counter()
            at.run()
            times.append((page, time.perf_counter() - started))
            problem = _problem(at)
            if page.endswith("users.py") and not problem:  # a search typed on the Users page
                next(t for t in at.text_input if t.label == "Search").input(f"user{number % 10}")
                started = time.perf_counter()
                at.run()
                times.append((page, time.perf_counter() - started))
                problem = _problem(at)
            if problem:
                errors.append(f"session {number}, {page}: {problem}")
            step += 1
            time.sleep(THINK_S)
    except Exception as exc:  # noqa: BLE001 (counted as an error of this session)
        errors.append(f"session {number}: {type(exc).__name__}: {exc}")
        ready.abort()  # a session that cannot start fails the others' wait at once, not after the timeout
        return times, errors, False
    return times, errors, True


def _problem(at) -> str | None:
    if at.exception:
        return str(at.exception[0].value)[:200]
    if at.main.error:
        return str(at.main.error[0].value)[:200]
    return None


def _sessions(api_url: str, api_key: str, environments: list[dict[str, str]]) -> list[tuple]:
    """`SESSIONS` sessions per environment (a replica), all started together."""
    context = multiprocessing.get_context("spawn")
    count = SESSIONS * len(environments)
    with context.Manager() as manager, context.Pool(count) as pool:
        ready = manager.Barrier(count)
        arguments = [(api_url, api_key, n, ready, environments[n % len(environments)]) for n in range(count)]
        return pool.starmap(_session, arguments)


def _figures(prefix: str, outcomes: list[tuple]) -> dict[str, float]:
    runs = [run for session_times, _, _ in outcomes for run in session_times]
    times = [t for _, t in runs]
    errors = [e for _, session_errors, _ in outcomes for e in session_errors]
    for line in errors[:10]:
        print("  load error:", line)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else float("nan")
    return {f"{prefix}_errors": float(len(errors)), f"{prefix}_p95_seconds": p95,
            f"{prefix}_median_seconds": statistics.median(times) if times else float("nan"),
            f"{prefix}_runs": float(len(times)), "sessions": float(sum(ok for _, _, ok in outcomes)),
            **{f"{prefix}_{Path(page).stem}_p95_seconds": statistics.quantiles(page_times, n=20)[-1]
               for page in PAGES if len(page_times := [t for p, t in runs if p == page]) >= 2}}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@benchmark
def load() -> dict[str, float]:
    from dashboard.connection import connect
    from dashboard.sync import sync

    with sandbox_process(seed="demo") as sandbox, tempfile.TemporaryDirectory() as data_dir, \
            _environment({"CEOX_DATA_DIR": data_dir}):
        # The cold sync, before the clock starts (the cache file is per credential: shared by the sessions).
        sync(connect(sandbox.api_url, api_key=sandbox.api_key, source="server"))
        outcomes = _sessions(sandbox.api_url, sandbox.api_key, [{"CEOX_DATA_DIR": data_dir}])
    figures = _figures("load", outcomes)
    return {"load_sessions": figures.pop("sessions"), **figures}


@benchmark
def load_two_replicas() -> dict[str, float]:
    from dashboard.connection import connect
    from dashboard.sync import Cache, background_sync, sync
    from dashboard.sync.background import shutdown_all
    from tests.postgres import Cluster

    cluster = Cluster().start()
    try:
        with sandbox_process(seed="demo") as sandbox, tempfile.TemporaryDirectory() as root:
            alone = {"CEOX_DATA_DIR": str(Path(root) / "alone")}
            with _environment(alone):  # the baseline: as many sessions on one replica, no database
                sync(connect(sandbox.api_url, api_key=sandbox.api_key, source="server"))
            baseline = _figures("load_forty_one_process", _sessions(sandbox.api_url, sandbox.api_key, [alone] * 2))
            database_url = cluster.new_database()
            replicas = [{"CEOX_DATA_DIR": str(Path(root) / name), "CEOX_DATABASE_URL": database_url}
                        for name in ("a", "b")]
            with _environment(replicas[0]):
                workspace = connect(sandbox.api_url, api_key=sandbox.api_key, source="server")
                runner = background_sync(Cache.for_workspace(workspace))  # publishes the cache for replica B
                runner.keep_fresh(workspace.client)
                while runner.cache.info().last_synced_at is None or runner.state().running:
                    if runner.state().problem:
                        raise RuntimeError(f"the first sync failed: {runner.state().problem}")
                    time.sleep(0.2)
                shutdown_all()
            outcomes = _sessions(sandbox.api_url, sandbox.api_key, replicas)
    finally:
        cluster.stop()
    figures = _figures("load_two_replicas", outcomes)
    return {"load_sessions_two_replicas": figures.pop("sessions"), **figures,
            "load_forty_one_process_p95_seconds": baseline["load_forty_one_process_p95_seconds"],
            "load_forty_one_process_errors": baseline["load_forty_one_process_errors"],
            "load_two_replicas_p95_vs_one_process": figures["load_two_replicas_p95_seconds"]
            / baseline["load_forty_one_process_p95_seconds"]}

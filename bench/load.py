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
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import benchmark
from bench._sandbox import sandbox_process

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 20
DURATION_S = float(os.environ.get("CEOX_LOAD_SECONDS", "60"))
THINK_S = 1.0
STARTUP_S = float(os.environ.get("CEOX_LOAD_STARTUP_SECONDS", "45"))
PAGES = ("app_pages/analytics.py", "app_pages/users.py")


def _session(api_url: str, api_key: str, number: int, begin: float) -> tuple[list[tuple[str, float]], list[str], bool]:
    """One session from `begin` (a `time.time()`, once every process has imported Streamlit and run the app
    once) for `DURATION_S`: (script run times, errors, whether it ran to the end)."""
    from streamlit.testing.v1 import AppTest

    from dashboard.connection import connect

    times: list[tuple[str, float]] = []
    errors: list[str] = []
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["workspace"] = connect(api_url, api_key=api_key, source="server")
        for page in PAGES:  # this process's first runs are not timed: in one server, sessions share the
            at.switch_page(page).run()  # imports and the cached data (the analytics cycles) built at first use
        time.sleep(max(0.0, begin - time.time()) + number * THINK_S / SESSIONS)
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
        return times, errors, False
    return times, errors, True


def _problem(at) -> str | None:
    if at.exception:
        return str(at.exception[0].value)[:200]
    if at.main.error:
        return str(at.main.error[0].value)[:200]
    return None


@benchmark
def load() -> dict[str, float]:
    from dashboard.connection import connect
    from dashboard.sync import sync

    previous = os.environ.get("CEOX_DATA_DIR")
    with sandbox_process(seed="demo") as sandbox, tempfile.TemporaryDirectory() as data_dir:
        os.environ["CEOX_DATA_DIR"] = data_dir
        try:
            # The cold sync, before the clock starts (the cache file is per credential: shared by the sessions).
            sync(connect(sandbox.api_url, api_key=sandbox.api_key, source="server"))
            context = multiprocessing.get_context("spawn")
            with context.Pool(SESSIONS) as pool:
                begin = time.time() + STARTUP_S  # every session process imports Streamlit first
                arguments = [(sandbox.api_url, sandbox.api_key, n, begin) for n in range(SESSIONS)]
                outcomes = pool.starmap(_session, arguments)
        finally:
            if previous is None:
                os.environ.pop("CEOX_DATA_DIR", None)
            else:
                os.environ["CEOX_DATA_DIR"] = previous
    runs = [run for session_times, _, _ in outcomes for run in session_times]
    times = [t for _, t in runs]
    by_page = {page: [t for p, t in runs if p == page] for page in PAGES}
    errors = [e for _, session_errors, _ in outcomes for e in session_errors]
    for line in errors[:10]:
        print("  load error:", line)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else float("nan")
    return {"load_sessions": float(sum(ok for _, _, ok in outcomes)), "load_errors": float(len(errors)),
            "load_p95_seconds": p95, "load_median_seconds": statistics.median(times) if times else float("nan"),
            "load_runs": float(len(times)),
            **{f"load_{Path(page).stem}_p95_seconds": statistics.quantiles(page_times, n=20)[-1]
               for page, page_times in by_page.items() if len(page_times) >= 2}}

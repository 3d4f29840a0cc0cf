"""The main analytics page, script run by script run, on the demo workspace.

Figures:
- `analytics_page_warm_seconds`: median time of a script run of app.py on the Analytics page once
  the cache is synced and the cycles are built (what every filter change or click costs), over
  `WARM_RUNS` runs through Streamlit's AppTest (target: under 0.5 s);
- `analytics_page_cold_seconds`: the first run on an empty cache, until the cards of the default period
  are final: it fetches the threads active in that period first (newest first) and builds the cycles
  (target: under 2 s); the rest of the history loads behind, in the background;
- `analytics_page_history_seconds`: from the start of that first run until the whole history is in;
- `analytics_page_cold_vs_warm`: the ratio of cold and warm.

The warm runs are timed once the history is in (before, each run would also share the machine with
the background sync).

The demo sandbox runs in a child process (as a real service runs elsewhere); the cache goes to a
temporary data directory.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import benchmark
from bench._sandbox import sandbox_process

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/analytics.py"
WARM_RUNS = 10


@benchmark
def analytics_page() -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from dashboard.connection import connect
    from dashboard.sync import Cache, background_sync

    previous = os.environ.get("CEOX_DATA_DIR")
    with sandbox_process(seed="demo") as sandbox, tempfile.TemporaryDirectory() as data_dir:
        os.environ["CEOX_DATA_DIR"] = data_dir
        try:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.session_state["workspace"] = connect(sandbox.api_url, api_key=sandbox.api_key, source="server")
            at.run()
            at.switch_page(PAGE)
            started = time.perf_counter()
            at.run()
            cold = time.perf_counter() - started
            _check(at)
            runner = background_sync(Cache.for_workspace(at.session_state["workspace"]))
            while runner.coverage().history_share < 1 or runner.state().running:
                time.sleep(0.05)
            history = time.perf_counter() - started
            at.run()  # the cycles of the whole history, built once
            warm = []
            for _ in range(WARM_RUNS):
                started = time.perf_counter()
                at.run()
                warm.append(time.perf_counter() - started)
                _check(at)
        finally:
            if previous is None:
                os.environ.pop("CEOX_DATA_DIR", None)
            else:
                os.environ["CEOX_DATA_DIR"] = previous
    median = statistics.median(warm)
    return {"analytics_page_warm_seconds": median, "analytics_page_cold_seconds": cold,
            "analytics_page_history_seconds": history,
            "analytics_page_cold_vs_warm": cold / median}


def _check(at) -> None:
    if at.exception:
        raise RuntimeError(f"the analytics page failed: {[e.value for e in at.exception]}")
    if not any(m.label == "Cycles" for m in at.metric):
        raise RuntimeError("the analytics page showed no cards")

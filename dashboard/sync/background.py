"""One background refresh per cache file, shared by every session and page of this process.

    runner = background_sync(cache)
    runner.keep_fresh(workspace.client, Window(start))   # each page run: "I am open, this is on screen"
    runner.state()                                       # progress, or why the last refresh failed
    runner.coverage()                                    # which periods are final, history loaded

The worker thread starts on the first `keep_fresh` and refreshes the cache when it has never completed
a refresh, when the webhook receiver marked conversations, when the last refresh is older than
`REFRESH_EVERY_S`, or when asked (`request`). It stops `IDLE_AFTER_S` after the last page asked for it,
so a process with no open page makes no requests. Pages leaving or rerunning do not stop it: a first
sync goes on while the person is elsewhere, and two sessions of the same credential share one sync
(the cache file is per tenant and credential). No streamlit here: pages poll `state()`.

With a shared database (shared.py) the same holds across replicas: before deciding, the worker takes
the newest published cache; only the replica holding the cache's lock refreshes, publishing as it goes,
and the others show its progress from what it publishes, then find the cache fresh.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ceox_api import Client
from ceox_api.errors import CeoxError
from dashboard.feedback import explain_error
from dashboard.storage.database import DatabaseUnavailable
from dashboard.sync.cache import Cache, SyncError, SyncReport
from dashboard.sync.coverage import Coverage, Window
from dashboard.sync.shared import shared_for

log = logging.getLogger(__name__)

# A complete refresh older than this is run again while a page is open (`CEOX_SYNC_REFRESH_S`).
REFRESH_EVERY_S = float(os.environ.get("CEOX_SYNC_REFRESH_S", "300"))
# The worker stops when no page has asked for it for this long.
IDLE_AFTER_S = 120.0
# After a failed refresh the worker waits this long before trying by itself (a request goes at once).
RETRY_AFTER_S = 30.0
# How often the worker looks for marks and for a refresh falling due.
POLL_S = 1.0

Connect = Callable[[], Client]  # a new client of the cache's credential, closed after use


@dataclass(frozen=True)
class SyncState:
    running: bool  # a refresh is fetching now
    done: int  # threads fetched by the running refresh (or the last one)
    total: int  # threads it has to fetch; 0 while the list is being read
    problem: str | None  # why the last refresh did not complete, in plain words; None when it did
    paused: bool  # the cache was cleared: nothing runs until `request()`
    last_report: SyncReport | None  # the last refresh that ended, complete or not
    ended: int  # refreshes ended so far in this process (a page waiting for the one it asked for counts them)


class BackgroundSync:
    """The worker of one cache file. Get it with `background_sync(cache)`, never construct two."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._shared = shared_for(cache.path)  # None: this process alone uses the cache
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()  # stops the refresh in flight (clear, shutdown)
        self._thread: threading.Thread | None = None
        self._connect: Connect | None = None
        self._window: Window | None = None
        self._touched = 0.0
        self._requested = False
        self._paused = False
        self._running = False
        self._done = self._total = 0
        self._problem: str | None = None
        self._failed_at = -float("inf")
        self._finished_at: float | None = None  # monotonic end of the last complete refresh here
        self._report: SyncReport | None = None
        self._ended = 0

    # --- what pages call -----------------------------------------------------------------------------

    def keep_fresh(self, connect: Connect, window: Window | None = None) -> None:
        """A page of this cache is open and shows `window`: keep the cache fresh, that window first.

        `connect()` opens a client of the cache's credential (the latest page's, so an expired
        sign-in is replaced by the next page that has a fresh one)."""
        with self._lock:
            self._connect = connect
            if window is not None:
                self._window = window
            self._touched = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._work, name=f"ceox-sync-{self.cache.path.stem[:12]}",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def request(self) -> None:
        """Refresh now (a Refresh or Sync now button), even after a failure or a clear."""
        with self._lock:
            self._requested = True
            self._paused = False
        self._wake.set()

    def clear(self) -> None:
        """Stop any refresh, delete the cache file, and wait for `request()` before syncing again."""
        with self._lock:
            self._paused = True
            self._requested = False
        self._stop.set()
        try:
            self.cache.clear()  # waits for the refresh in flight to save its batch and let go of the file
            if self._shared is not None:
                self._shared.forget()
        finally:
            with self._lock:
                self._stop.clear()
                self._problem, self._report, self._finished_at = None, None, None
                self._done = self._total = 0

    def state(self) -> SyncState:
        with self._lock:
            return SyncState(self._running, self._done, self._total, self._problem, self._paused, self._report,
                             self._ended)

    def coverage(self, window: Window | None = None) -> Coverage:
        return self.cache.coverage(window)

    def catching_up(self) -> bool:
        """Whether a refresh runs now or the webhook receiver marked conversations none has fetched yet:
        the figures on screen may be a few messages behind."""
        if self.state().running:
            return True
        try:
            return self._marks_wait()
        except DatabaseUnavailable:
            return False  # the sync reports that itself

    def shutdown(self, timeout_s: float = 30) -> None:
        """Stop the worker (tests, process exit); a later `keep_fresh` starts it again."""
        with self._lock:
            thread, self._touched = self._thread, -float("inf")
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout_s)
        self._stop.clear()

    # --- the worker ------------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                if time.monotonic() - self._touched > IDLE_AFTER_S:
                    self._thread = None
                    return
            if self._due():
                self._refresh()
            else:
                self._wake.wait(POLL_S)
                self._wake.clear()

    def _due(self) -> bool:
        with self._lock:
            if self._requested:
                return True
            if self._paused or time.monotonic() - self._failed_at < RETRY_AFTER_S:
                return False
            finished_at = self._finished_at
        if self._shared is not None:
            try:
                self._shared.pull()
                return self._stale(None)  # another replica may have refreshed: the file says when
            except DatabaseUnavailable as exc:
                self._failed(str(exc))
                return False
            except Exception:  # an unreadable snapshot, say: the worker must live on; the log has it
                log.exception("reading the shared analytics cache of %s failed", self.cache.path.name)
                self._failed("The shared analytics cache could not be read; it will try again.")
                return False
        return self._stale(finished_at)

    def _stale(self, finished_at: float | None) -> bool:
        """Whether the last complete refresh (monotonic here, else as the file says) is too old, or marks wait."""
        if finished_at is None:
            last = self.cache.last_synced_at()
            old = last is None or time.time() - last.timestamp() > REFRESH_EVERY_S
        else:
            old = time.monotonic() - finished_at > REFRESH_EVERY_S
        return old or self._marks_wait()

    def _marks_wait(self) -> bool:
        return self.cache.marked() or (self._shared is not None and self._shared.marked())

    def _failed(self, problem: str) -> None:
        with self._lock:
            self._problem, self._failed_at = problem, time.monotonic()

    def _refresh(self) -> None:
        with self._lock:
            connect, requested, self._requested = self._connect, self._requested, False
            self._running, self._done, self._total = True, 0, 0
        assert connect is not None  # set by keep_fresh before the worker starts
        problem, report = None, None
        try:
            with connect() as client:
                if self._shared is None:
                    report = self.cache.refresh(client, on_progress=self._progress, priority=self._wanted,
                                                stop=self._stop)
                else:
                    report = self._refresh_shared(client, requested)
        except DatabaseUnavailable as exc:
            problem = str(exc)
        except SyncError as exc:
            problem, report = str(exc), exc.report
        except CeoxError as exc:
            problem = explain_error(exc)
        except TimeoutError:
            problem = "Another refresh of this cache is taking long; this one will try again."
        except Exception:  # the worker must outlive any one refresh; the log has the details
            log.exception("background sync of %s failed", self.cache.path.name)
            problem = "The sync stopped on an unexpected error; it will try again."
        with self._lock:
            self._running = False
            self._ended += 1
            self._report = report or self._report
            self._problem = problem
            if problem is not None:
                self._failed_at = time.monotonic()
            elif report is not None and not report.stopped:
                self._finished_at = time.monotonic()

    def _refresh_shared(self, client: Client, requested: bool) -> SyncReport | None:
        """Refresh under the cache's lock; while another replica holds it, follow that one's progress and
        then decide again. None when no refresh ran here (the other left the cache fresh, or the wait ended)."""
        assert self._shared is not None
        while True:
            with self._shared.lock() as held:
                if held:
                    self._shared.pull()  # what the last holder published, possibly half a refresh
                    if not requested and not self._stale(None):
                        self._show_published()
                        return None
                    self._shared.import_marks()
                    with self._shared.publishing() as saved:
                        return self.cache.refresh(client, on_progress=self._progress, priority=self._wanted,
                                                  stop=self._stop, on_saved=saved)
            self._shared.pull()
            self._show_published()
            with self._lock:
                idle = time.monotonic() - self._touched > IDLE_AFTER_S
            if idle or self._stop.wait(POLL_S):
                return None

    def _show_published(self) -> None:
        """As progress, how much of the listed history the newest published cache holds."""
        shown = self.cache.coverage()
        if shown.listed is not None:
            self._progress(shown.listed - shown.pending, shown.listed)

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            self._done, self._total = done, total

    def _wanted(self) -> Window | None:
        with self._lock:
            return self._window


_runners: dict[Path, BackgroundSync] = {}
_runners_lock = threading.Lock()


def background_sync(cache: Cache) -> BackgroundSync:
    """The one worker of `cache`'s file in this process."""
    with _runners_lock:
        runner = _runners.get(cache.path)
        if runner is None:
            runner = _runners[cache.path] = BackgroundSync(cache)
        return runner


def shutdown_all(timeout_s: float = 30) -> None:
    """Stop every worker of this process (tests)."""
    with _runners_lock:
        runners = list(_runners.values())
        _runners.clear()
    for runner in runners:
        with contextlib.suppress(Exception):
            runner.shutdown(timeout_s)

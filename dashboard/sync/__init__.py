"""The local cache of conversations and message metadata that the analytics pages read.

    report = sync(workspace, on_progress=lambda done, total: ...)   # first time: every thread
    conversations, messages, available = Cache.for_workspace(workspace).frames()
    sync(workspace)                                                 # later: only what changed
    mark_changed(workspace.workspace_id, [conversation_id])         # from the webhook receiver
    clear(workspace)

Pages do not refresh the cache themselves: `background_sync(cache)` (background.py) runs one refresh
worker per cache file for every session of the process, window first (coverage.py says which periods
are final).

One SQLite file per tenant and credential (`<data dir>/cache/<tenant>-<credential>.sqlite`, mode 0600;
see dashboard/tenants.py), so a scoped user's cache never mixes with an admin's. Message bodies are never stored.
"""

from dashboard.sync.background import BackgroundSync, SyncState, background_sync
from dashboard.sync.cache import Cache, CacheInfo, SyncError, SyncReport, clear, mark_changed, sync
from dashboard.sync.coverage import Coverage, Window
from dashboard.sync.store import CONVERSATION_DTYPES, MESSAGE_DTYPES, OPTIONAL_INPUTS, cache_path

__all__ = [
    "CONVERSATION_DTYPES",
    "MESSAGE_DTYPES",
    "OPTIONAL_INPUTS",
    "BackgroundSync",
    "Cache",
    "CacheInfo",
    "Coverage",
    "SyncError",
    "SyncReport",
    "SyncState",
    "Window",
    "background_sync",
    "cache_path",
    "clear",
    "mark_changed",
    "sync",
]

"""Every assumed (**A**) decision of CONTRACT.md that the client depends on, in one place.

The real CEOX service documents only part of its API. Where it is silent, the client follows these
choices; when the service turns out to answer differently, change the line here, not the callers.
Documented (**D**) facts live with the endpoints in `ceox_api/resources/`.
"""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api-wa.fantecno.net/api/v1"
# The sandbox-only endpoints (`/sandbox/...`) hang off the base URL with this suffix removed.
API_PREFIX = "/api/v1"

# An API key is sent as-is in `Authorization` (D); keys not carrying this prefix get it added.
API_KEY_PREFIX = "ceox_"

# Endpoints whose path (or existence) is assumed.
LOGIN_PATH = "/auth/login"
ME_PATH = "/me"
# Not in the published endpoint list: the client offers it as an extension.
INBOX_DEVICE_ITEM_PATH = "/inboxes/{id}/devices/{device_id}"

# Partial updates: the contract says PUT with only the changed fields (the sandbox also takes PATCH).
UPDATE_METHOD = "PUT"

# `GET /conversations?status=`: the value that lists open and solved conversations together.
ALL_STATUSES = "all"
# `GET /conversations` paging parameters.
LIMIT_PARAM = "limit"
OFFSET_PARAM = "offset"

# Lists are bare arrays; a service that wraps them uses one of these keys.
LIST_KEYS = ("data", "items")
# `GET /wa/status` answers `{"devices": [...]}`.
WA_STATUS_KEY = "devices"

# Error bodies: the first of these keys that holds a message wins; plain text is used as-is.
ERROR_MESSAGE_KEYS = ("error", "message", "detail")
# A 403 names the capability the caller lacks under this key.
CAPABILITY_KEY = "capability"

# POSTs that change nothing when repeated, so they may be retried like GET, PUT and DELETE.
# Sends and creates are absent on purpose: a repeated send can reach the customer twice.
IDEMPOTENT_POSTS = frozenset(
    {
        "/conversations/{id}/read",
        "/conversations/{id}/status",
        "/inboxes/{id}/members",
        "/inboxes/{id}/devices",
    }
)

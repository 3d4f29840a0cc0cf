"""Every assumed (**A**) decision of docs/contract.md that the client depends on, in one place.

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
# A text field (an inbox's description or colour) is cleared by sending an empty string: the service
# reads null in a partial update as "unchanged".
CLEARED_TEXT = ""

# `GET /conversations?status=`: the value that lists open and solved conversations together.
ALL_STATUSES = "all"
# `GET /conversations` paging parameters.
LIMIT_PARAM = "limit"
OFFSET_PARAM = "offset"

# Lists are bare arrays; a service that wraps them uses one of these keys. A single object may be
# wrapped the same way (`{"data": {...}}`).
LIST_KEYS = ("data", "items", "results", "records")
# `GET /wa/status` answers `{"devices": [...]}`.
WA_STATUS_KEY = "devices"

# Error bodies: the first of these keys that holds a message wins, in any spelling (`Error`, `error`)
# and nested (`{"error": {"message": ...}}`, `{"errors": [...]}`); plain text is used as-is, and an
# HTML page (a gateway's) is summarised, never quoted.
ERROR_MESSAGE_KEYS = ("error", "message", "detail", "errors", "title", "msg", "description")
# A 403 names the capability the caller lacks under this key, at any depth of the error body.
CAPABILITY_KEY = "capability"

# Pagination. The contract's lists are complete arrays; a service that pages them is followed by
# whichever of these conventions its answer shows, until the list is complete:
# - a cursor or URL in the body under one of NEXT_KEYS (at the top or inside PAGING_OBJECTS),
#   a cursor sent back as CURSOR_PARAM;
# - a `Link: <url>; rel="next"` header;
# - page numbers (`page`/`current_page` with `last_page`, or with `per_page` and `total`), asked
#   for with PAGE_PARAM;
# - offsets (`offset` with `total`), asked for with OFFSET_PARAM.
# A next URL on another origin than the base URL is never followed (it would receive the credential).
NEXT_KEYS = ("next", "next_cursor", "next_page_url", "next_page_token", "next_url", "cursor_next")
TOTAL_KEYS = ("total", "total_count", "count_total")
PAGING_OBJECTS = ("meta", "pagination", "links", "paging", "cursor")
CURSOR_PARAM = "cursor"
PAGE_PARAM = "page"
# Bounds on following pages: past either, the list is reported partial instead of read forever.
MAX_PAGES = 500
MAX_LIST_SECONDS = 300.0

# Times a Go, Node or PHP service sends for "never": Go's zero time, MySQL's zero date, the epoch 0
# and the empty string all read as missing.
ZERO_TIME_PREFIXES = ("0001-01-01", "0000-00-00")

# Fields a service leaves out when they hold their zero value (Go's `omitempty`): an omitted boolean
# reads false and an omitted count 0, so a webhook without `active` is inactive, never silently
# active. Counts a service may not know at all (a role's user count) stay unknown instead.
OMITTED_BOOLEAN = False

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

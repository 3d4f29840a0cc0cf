"""Following a paged list to its end, whichever common convention the service uses.

The contract's lists are complete arrays; a real service may page them (see the conventions in
`ceox_api.assumptions`). `PageWalk` looks at each answer, says which request fetches the next page,
and finally hands the parser every item at once, with what is known about completeness.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeGuard, TypeVar

import httpx

from ceox_api.assumptions import (
    CURSOR_PARAM,
    LIST_KEYS,
    MAX_LIST_SECONDS,
    MAX_PAGES,
    NEXT_KEYS,
    OFFSET_PARAM,
    PAGE_PARAM,
    PAGING_OBJECTS,
    TOTAL_KEYS,
)
from ceox_api.models import normalise_key

T = TypeVar("T")

_LIST_KEYS = frozenset(map(normalise_key, LIST_KEYS))
_NEXT_KEYS = tuple(map(normalise_key, NEXT_KEYS))
_TOTAL_KEYS = tuple(map(normalise_key, TOTAL_KEYS))
_PAGING_OBJECTS = frozenset(map(normalise_key, PAGING_OBJECTS))
_PAGE_KEYS = ("page", "currentpage", "pagenumber")
_LAST_PAGE_KEYS = ("lastpage", "totalpages", "pagecount", "pages")
_PER_PAGE_KEYS = ("perpage", "pagesize", "limit")


class Listing(list[T]):
    """A list read from a paged answer. `complete` is False when the service holds more than it gave
    (a bound on pages or time was reached, or a next page could not be followed); `total` is the
    service's own count when it gave one."""

    def __init__(self, items: list[T], *, total: int | None, complete: bool) -> None:
        super().__init__(items)
        self.total = total
        self.complete = complete

    @property
    def shown_of(self) -> str:
        """"50 of 2,495" (or "50 of more"): for a page that must say its list is partial."""
        return f"{len(self):,} of {self.total:,}" if self.total is not None else f"{len(self):,} of more"


def is_partial(value: object) -> TypeGuard[Listing[Any]]:
    """Whether `value` is a list the service gave only in part."""
    return isinstance(value, Listing) and not value.complete


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class PageWalk:
    """The pages of one list request. `follow(body, response)` returns the next request's
    arguments, or None when there is no next page to fetch."""

    def __init__(self, args: dict[str, Any], base_url: str) -> None:
        self._first = args
        self._origin = httpx.URL(base_url)
        # The page asked for last, as asked: a relative next link is joined to it (the request that went
        # out may name a pinned address instead of the host, see the client's request_hook).
        self._asked = httpx.URL(args["url"]).copy_merge_params(args.get("params") or {})
        self._started = time.monotonic()
        self._seen: set[str] = set()
        self._items: list[Any] = []
        self._pages = 0
        self._paged = False
        self._first_body: Any = None
        self.total: int | None = None
        self.complete = True

    def follow(self, body: Any, response: httpx.Response) -> dict[str, Any] | None:
        self._pages += 1
        if self._pages == 1:
            self._first_body = body
        items, hints = _items_and_hints(body)
        # Only reads are paged; the answer to a write is one object or list as it came.
        if items is None or self._first["method"] != "GET":
            return None
        self._items.extend(items)
        total = next((n for key in _TOTAL_KEYS if (n := _as_int(hints.get(key))) is not None), None)
        if total is not None:
            self.total, self._paged = total, True
        args = self._next(response, hints, len(items))
        if args is None:
            if self.total is not None and self.total > len(self._items):
                self.complete = False
            self._paged = self._paged or not self.complete
            return None
        self._paged = True
        key = str(httpx.URL(args["url"]).copy_merge_params(args.get("params") or {}))
        over = self._pages >= MAX_PAGES or time.monotonic() - self._started > MAX_LIST_SECONDS
        if key in self._seen or over:
            self.complete = False
            return None
        self._seen.add(key)
        self._asked = httpx.URL(key)
        return args

    def _next(self, response: httpx.Response, hints: Mapping[str, Any], count: int) -> dict[str, Any] | None:
        if hints.get("hasmore") is False or hints.get("hasnextpage") is False:
            return None
        link = response.links.get("next", {}).get("url")
        if link:
            return self._to_url(link)
        for key in _NEXT_KEYS:
            value = hints.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                continue
            if value.startswith(("http://", "https://", "/", "?")):
                return self._to_url(value)
            return self._with_params({CURSOR_PARAM: value})
        page = next((n for key in _PAGE_KEYS if (n := _as_int(hints.get(key))) is not None), None)
        if page is not None and count:
            last = next((n for key in _LAST_PAGE_KEYS if (n := _as_int(hints.get(key))) is not None), None)
            per_page = next((n for key in _PER_PAGE_KEYS if (n := _as_int(hints.get(key))) is not None), None)
            more = page < last if last is not None else (
                per_page is not None and self.total is not None and page * per_page < self.total)
            return self._with_params({PAGE_PARAM: page + 1}) if more else None
        offset = _as_int(hints.get("offset"))
        if offset is not None and count and self.total is not None and offset + count < self.total:
            return self._with_params({OFFSET_PARAM: offset + count})
        return None

    def _to_url(self, link: str) -> dict[str, Any] | None:
        url = self._asked.join(link)
        # Another origin would receive the credential: the list stays partial instead.
        if (url.scheme, url.host, url.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            self.complete = False
            return None
        return {**self._first, "url": str(url), "params": None}

    def _with_params(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return {**self._first, "params": {**(self._first.get("params") or {}), **extra}}

    def body(self) -> Any:
        """What the parser reads: every page's items together, or the one answer as it came."""
        return self._items if self._paged else self._first_body

    @property
    def paged(self) -> bool:
        return self._paged


def _items_and_hints(body: Any) -> tuple[list[Any] | None, dict[str, Any]]:
    """The list a page holds (None when it holds none) and its paging fields, keys normalised."""
    if isinstance(body, list):
        return body, {}
    if not isinstance(body, Mapping):
        return None, {}
    hints: dict[str, Any] = {}
    items = None
    for key, value in body.items():
        name = normalise_key(str(key))
        if name in _LIST_KEYS and isinstance(value, list) and items is None:
            items = value
        elif name in _PAGING_OBJECTS and isinstance(value, Mapping):
            hints.update({normalise_key(str(k)): v for k, v in value.items()})
        else:
            hints.setdefault(name, value)
    return items, hints

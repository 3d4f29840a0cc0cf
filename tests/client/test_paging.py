"""Paged lists are read to their end, or say they are partial: against the sandbox's `--page-size`
mode over HTTP, and the other conventions (Link header, page numbers, offsets) on a mocked network."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ceox_api import Client, IncompleteList, Listing, is_partial
from ceox_api._call import Call
from ceox_sandbox.server import SandboxServer
from dashboard.sync import fetch
from tests.client.helpers import API, mock_client
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, assert_clean

PAGE_SIZE = 100


@pytest.fixture(scope="module")
def paged_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(seed="demo", page_size=PAGE_SIZE, webhook_retry_delays=FAST_RETRIES) as server:
        yield server


def _row(server: SandboxServer, sql: str) -> tuple:
    with server.state.store.tx() as db:
        return tuple(db.execute(sql).fetchone())


def _count(server: SandboxServer, sql: str) -> int:
    return _row(server, sql)[0]


def test_every_conversation_is_read_through_pages_of_100(paged_sandbox: SandboxServer) -> None:
    expected = _count(paged_sandbox, "SELECT count(*) FROM conversations")
    assert expected > 20 * PAGE_SIZE
    with Client(paged_sandbox.api_url, api_key=paged_sandbox.api_key) as client:
        listed = client.conversations.list(status="all")
    assert isinstance(listed, Listing) and listed.complete
    assert len(listed) == len({c.id for c in listed}) == expected == listed.total


def test_a_long_thread_and_the_contacts_are_read_whole(paged_sandbox: SandboxServer) -> None:
    longest, size = _row(
        paged_sandbox, "SELECT conversation_id, count(*) AS n FROM messages GROUP BY conversation_id ORDER BY n DESC"
    )
    contacts = _count(paged_sandbox, "SELECT count(*) FROM contacts")
    with Client(paged_sandbox.api_url, api_key=paged_sandbox.api_key) as client:
        thread = client.conversations.messages(longest)
        listed_contacts = client.contacts.list()
    assert size > PAGE_SIZE or contacts > PAGE_SIZE
    assert len(thread) == size
    assert [m.id for m in thread] == sorted(m.id for m in thread)
    assert len(listed_contacts) == contacts


def test_the_sync_reads_every_page_too(paged_sandbox: SandboxServer) -> None:
    expected = _count(paged_sandbox, "SELECT count(*) FROM conversations")
    with Client(paged_sandbox.api_url, api_key=paged_sandbox.api_key) as client:
        listed, _ = fetch.run_async(client, fetch.list_conversations)
    assert len(listed) == expected


def test_a_list_cut_by_the_page_bound_is_partial_and_the_sync_refuses_it(
    paged_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ceox_api._paging.MAX_PAGES", 3)
    expected = _count(paged_sandbox, "SELECT count(*) FROM conversations")
    with Client(paged_sandbox.api_url, api_key=paged_sandbox.api_key) as client:
        listed = client.conversations.list(status="all")
        assert is_partial(listed)
        assert (len(listed), listed.total) == (3 * PAGE_SIZE, expected)
        # The sync would read the missing conversations as deleted: it stops instead.
        with pytest.raises(IncompleteList):
            fetch.run_async(client, fetch.list_conversations)


def test_a_partial_list_says_showing_the_first_n_of_m_on_the_page(
    paged_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard.connection import connect

    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("ceox_api._paging.MAX_PAGES", 2)
    contacts = _count(paged_sandbox, "SELECT count(*) FROM contacts")
    conversations = _count(paged_sandbox, "SELECT count(*) FROM conversations")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["workspace"] = connect(paged_sandbox.api_url, api_key=paged_sandbox.api_key, source="demo")
    at.run()
    for page, total, what in (("app_pages/contacts.py", contacts, "contacts"),
                              ("app_pages/overview.py", conversations, "conversations")):
        at.switch_page(page)
        at.run()
        assert_clean(at)
        warnings = [w.value for w in at.warning]
        assert f"Showing the first {2 * PAGE_SIZE:,} of {total:,} {what}" in " ".join(warnings), warnings


# ---- the other conventions, on a mocked network ------------------------------------------------

ITEMS = [{"id": i, "name": f"c{i}"} for i in range(1, 8)]


def _pages(request: httpx.Request, size: int = 3) -> tuple[int, list[dict]]:
    page = int(request.url.params.get("page", "1"))
    return page, ITEMS[(page - 1) * size:page * size]


def link_header(request: httpx.Request) -> httpx.Response:
    page, items = _pages(request)
    headers = {"Link": f'<{API}/contacts?page={page + 1}>; rel="next"'} if page * 3 < len(ITEMS) else {}
    return httpx.Response(200, json=items, headers=headers)


def laravel(request: httpx.Request) -> httpx.Response:
    page, items = _pages(request)
    more = page * 3 < len(ITEMS)
    return httpx.Response(200, json={"data": items, "current_page": page, "last_page": 3, "total": len(ITEMS),
                                     "next_page_url": f"{API}/contacts?page={page + 1}" if more else None})


def page_numbers(request: httpx.Request) -> httpx.Response:
    page, items = _pages(request)
    return httpx.Response(200, json={"items": items, "meta": {"page": page, "per_page": 3, "total": len(ITEMS)}})


def offsets(request: httpx.Request) -> httpx.Response:
    offset = int(request.url.params.get("offset", "0"))
    return httpx.Response(200, json={"results": ITEMS[offset:offset + 2], "offset": offset, "total": len(ITEMS)})


def json_api_links(request: httpx.Request) -> httpx.Response:
    page, items = _pages(request)
    more = page * 3 < len(ITEMS)
    return httpx.Response(200, json={"data": items, "links": {"next": f"/api/v1/contacts?page={page + 1}" if more
                                                              else None}})


@pytest.mark.parametrize("handler", [link_header, laravel, page_numbers, offsets, json_api_links])
def test_each_paging_convention_is_followed_to_the_end(handler) -> None:
    with mock_client(handler) as client:
        contacts = client.contacts.list()
    assert [c.id for c in contacts] == [item["id"] for item in ITEMS]
    assert not is_partial(contacts)


def test_a_next_page_on_another_address_is_not_followed() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        return httpx.Response(200, json={"data": ITEMS[:3], "next": "https://elsewhere.example/contacts?page=2"})

    with mock_client(handler) as client:
        contacts = client.contacts.list()
    assert asked == ["ceox.test"]
    assert is_partial(contacts) and len(contacts) == 3


def test_a_total_beyond_what_came_without_a_next_page_is_partial() -> None:
    with mock_client(lambda request: httpx.Response(200, json={"items": ITEMS[:3], "total": 2495})) as client:
        contacts = client.contacts.list()
    assert is_partial(contacts)
    assert contacts.shown_of == "3 of 2,495"


def test_a_cursor_that_loops_stops_as_partial() -> None:
    with mock_client(lambda request: httpx.Response(200, json={"items": ITEMS[:3], "next": "same"})) as client:
        contacts = client.contacts.list()
    assert is_partial(contacts) and len(contacts) == 6


def test_writes_are_never_paged() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "next": "more"})

    with mock_client(handler) as client:
        assert client._request(Call("POST", "/x", lambda body: body, json={})) == {"items": [], "next": "more"}


def test_a_relative_next_link_is_followed_when_the_address_is_pinned():
    """A request hook that sends each request to the resolved address (the dashboard's outbound policy) must
    not make a relative next link look like another host: the list is read whole."""
    import http.server
    import json
    import threading

    from dashboard.outbound import OutboundPolicy

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            second = "page=2" in self.path
            body = {"data": [{"id": 3, "name": "c", "email": "c@x.co"}] if second else
                    [{"id": 1, "name": "a", "email": "a@x.co"}, {"id": 2, "name": "b", "email": "b@x.co"}],
                    "total": 3, "next": None if second else "/api/v1/users?page=2"}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Client(f"http://localhost:{server.server_address[1]}/api/v1", api_key="ceox_testtesttest",
                    use_env=False, request_hook=OutboundPolicy(allow_private=True).pin) as client:
            users = client.users.list()
    finally:
        server.shutdown()
        server.server_close()
    assert [u.id for u in users] == [1, 2, 3]
    assert not is_partial(users)

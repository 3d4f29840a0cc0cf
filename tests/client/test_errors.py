"""Error answers become one exception hierarchy, whatever shape the error body has."""

from __future__ import annotations

import httpx
import pytest

import ceox_api
from ceox_api import (
    AuthError,
    CeoxError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
)
from ceox_api.errors import parse_retry_after
from tests.client.helpers import answer, mock_client


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, PermissionDenied),
        (404, NotFound),
        (409, Conflict),
        (413, PayloadTooLarge),
        (418, CeoxError),
        (422, ValidationError),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_each_status_has_its_exception(status: int, kind: type[CeoxError]) -> None:
    with mock_client(answer({"error": "nope"}, status), max_retries=0) as client, pytest.raises(kind) as caught:
        client.contacts.list()
    assert type(caught.value) is kind
    assert (caught.value.status, caught.value.message) == (status, "nope")
    assert (caught.value.method, caught.value.path) == ("GET", "/contacts")


def test_the_hierarchy() -> None:
    assert issubclass(PayloadTooLarge, ValidationError)
    for kind in (
        AuthError,
        PermissionDenied,
        NotFound,
        Conflict,
        ValidationError,
        RateLimited,
        ServerError,
        TransportError,
    ):
        assert issubclass(kind, CeoxError)
    # The package's ValidationError is its own, not pydantic's.
    import pydantic

    assert not issubclass(ceox_api.ValidationError, pydantic.ValidationError)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "email already used"}, "email already used"),
        ({"message": "email already used"}, "email already used"),
        ({"detail": "email already used"}, "email already used"),
        ({"detail": [{"loc": ["body", "email"], "msg": "field required"}]}, "field required"),
        ({"error": {"code": 7, "message": "email already used"}}, "email already used"),
        ("email already used\n", "email already used"),
        ("", ""),
    ],
    ids=["error", "message", "detail", "detail-list", "nested", "plain-text", "empty"],
)
def test_error_body_shapes(body: object, message: str) -> None:
    with mock_client(answer(body, 409)) as client, pytest.raises(Conflict) as caught:
        client.contacts.create(name="Budi", phone="+6281234567890")
    assert caught.value.message == message
    assert str(caught.value) == (f"409 Conflict: {message}" if message else "409 Conflict")


def test_permission_denied_names_the_capability() -> None:
    body = {"error": "your role lacks users.manage", "capability": "users.manage"}
    with mock_client(answer(body, 403)) as client, pytest.raises(PermissionDenied) as caught:
        client.users.list()
    assert caught.value.capability == "users.manage"
    assert str(caught.value) == "403 Forbidden: your role lacks users.manage (capability users.manage)"


def test_a_long_plain_text_body_is_shortened() -> None:
    with mock_client(answer("<html>" + "x" * 5000, 502), max_retries=0) as client, pytest.raises(ServerError) as caught:
        client.users.list()
    assert len(caught.value.message) < 600


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), (None, None)])
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert 50 < parse_retry_after(_http_date_in(60)) <= 60


def _http_date_in(seconds: int) -> str:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


def test_rate_limited_carries_retry_after() -> None:
    slow_down = answer({"error": "slow down"}, 429, headers={"Retry-After": "3"})
    with mock_client(slow_down, max_retries=0) as client, pytest.raises(RateLimited) as caught:
        client.users.list()
    assert caught.value.retry_after == 3.0


def test_connection_failures_are_transport_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with mock_client(refuse, max_retries=0) as client, pytest.raises(TransportError) as caught:
        client.users.list()
    assert caught.value.status is None
    assert str(caught.value) == "GET /users failed: ConnectError: [Errno 111] Connection refused"


def test_local_checks_before_sending() -> None:
    with mock_client(answer({})) as client:
        with pytest.raises(ValueError, match="media_mime is required"):
            client.messages.send(to="+6281234567890", media=b"\x89PNG")
        with pytest.raises(ValueError, match="not both"):
            client.conversations.send(1, media=b"x", media_base64="eA==", media_mime="image/png")
    with pytest.raises(ValueError, match="not both"):
        ceox_api.Client(api_key="ceox_a", token="jwt")

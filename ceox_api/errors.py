"""One exception hierarchy for everything the client raises about the service.

Exceptions hold only plain values (status, the server's message, method and path): never the
httpx request or response, whose headers carry the credential.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from ceox_api.assumptions import CAPABILITY_KEY, ERROR_MESSAGE_KEYS

# Long plain-text bodies (an HTML error page, say) are cut to keep messages readable.
_MAX_MESSAGE = 500


class CeoxError(Exception):
    """Base class: `status` is the HTTP status (None without a response), `message` the server's."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.status is None:
            return self.message
        head = f"{self.status} {_reason(self.status)}"
        return f"{head}: {self.message}" if self.message else head


class AuthError(CeoxError):
    """401: the credential is missing, wrong, expired or revoked."""


class PermissionDenied(CeoxError):
    """403: the user's role lacks `capability`."""

    def __init__(self, message: str, *, capability: str | None = None, **kwargs) -> None:
        self.capability = capability
        super().__init__(message, **kwargs)

    def _describe(self) -> str:
        text = super()._describe()
        return f"{text} (capability {self.capability})" if self.capability else text


class NotFound(CeoxError):
    """404: no such object, or it lies outside the user's inboxes."""


class Conflict(CeoxError):
    """409: duplicate email or phone, role still assigned, device disconnected, …"""


class ValidationError(CeoxError):
    """400 or 422: the service rejected the input."""


class PayloadTooLarge(ValidationError):
    """413: media over the size limit."""


class RateLimited(CeoxError):
    """429: `retry_after` is the wait in seconds the service asked for (None if it did not say)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(CeoxError):
    """5xx: the service failed."""


class TransportError(CeoxError):
    """The request got no HTTP answer: connection refused or dropped, DNS failure, timeout."""


class RequestRefused(TransportError):
    """The client's `request_hook` refused to send the request (an address policy, say); never retried."""


_BY_STATUS: dict[int, type[CeoxError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationError,
    429: RateLimited,
}


def error_from_response(status: int, body: str, *, retry_after: str | None, method: str, path: str) -> CeoxError:
    """The exception for an error answer, reading the message from any of the body shapes."""
    message, capability = _read_error_body(body)
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else CeoxError)
    where = {"status": status, "method": method, "path": path}
    if kind is PermissionDenied:
        return PermissionDenied(message, capability=capability, **where)
    if kind is RateLimited:
        return RateLimited(message, retry_after=parse_retry_after(retry_after), **where)
    return kind(message, **where)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _read_error_body(body: str) -> tuple[str, str | None]:
    """(message, capability) from `{"error"}`, `{"message"}`, `{"detail"}` or plain text."""
    try:
        data = json.loads(body)
    except ValueError:
        return _shorten(body.strip()), None
    if not isinstance(data, dict):
        return _shorten(body.strip()), None
    capability = data.get(CAPABILITY_KEY)
    message = next((_message_text(data[key]) for key in ERROR_MESSAGE_KEYS if data.get(key)), _shorten(body.strip()))
    return message, str(capability) if capability else None


def _message_text(value: object) -> str:
    """A message that may itself be nested: `{"error": {"message": ...}}` or FastAPI's detail list."""
    if isinstance(value, dict):
        for key in ERROR_MESSAGE_KEYS + ("msg",):
            if value.get(key):
                return _message_text(value[key])
    if isinstance(value, list):
        return "; ".join(_message_text(item) for item in value)
    return _shorten(str(value))


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())

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
from ceox_api.models import normalise_key

# Long plain-text bodies are cut to keep messages readable.
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


def error_from_response(
    status: int, body: str, *, retry_after: str | None, method: str, path: str, content_type: str = ""
) -> CeoxError:
    """The exception for an error answer, reading the message from any of the body shapes."""
    message, capability = _read_error_body(status, body, content_type)
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else CeoxError)
    where = {"status": status, "method": method, "path": path}
    if kind is PermissionDenied:
        return PermissionDenied(message, capability=capability, **where)
    if kind is RateLimited:
        return RateLimited(message, retry_after=parse_retry_after(retry_after), **where)
    return kind(message, **where)


class IncompleteList(CeoxError):
    """A paged list could not be read to its end (too many pages, too long, or a next page on another
    address), where the caller cannot take a partial list."""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_MESSAGE_KEYS = tuple(normalise_key(key) for key in ERROR_MESSAGE_KEYS)
_CAPABILITY_KEY = normalise_key(CAPABILITY_KEY)
# Error bodies nest an object or two deep; deeper is not searched (a hostile body could nest forever).
_MAX_DEPTH = 4


def _read_error_body(status: int, body: str, content_type: str) -> tuple[str, str | None]:
    """(message, capability) from a JSON error body in any key spelling and nesting, or plain text.

    An HTML page (a gateway or proxy answering for the service) is summarised, never quoted.
    """
    text = body.strip()
    if "html" in content_type.lower() or text[:1] == "<":
        return f"the service's gateway answered {status} with a web page instead of an API answer", None
    try:
        data = json.loads(text)
    except ValueError:
        return _shorten(text), None
    if not isinstance(data, dict):
        return _shorten(text), None
    capability = _find_capability(data, 0)
    # A JSON body without a message says nothing worth quoting: the status line speaks alone.
    return _message_text(data, 0), capability


def _find_capability(value: object, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if normalise_key(str(key)) == _CAPABILITY_KEY and isinstance(item, str | int) and str(item):
                return _shorten(str(item))
        children = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return None
    return next((found for child in children if (found := _find_capability(child, depth + 1))), None)


def _message_text(value: object, depth: int) -> str:
    """The message under the first message key, nested or listed (`{"error": {"message": ...}}`,
    FastAPI's detail list, Laravel's `errors`); "" when there is none."""
    if depth > _MAX_DEPTH:
        return ""
    if isinstance(value, dict):
        by_key = {normalise_key(str(k)): v for k, v in value.items()}
        for key in _MESSAGE_KEYS:
            if by_key.get(key) and (found := _message_text(by_key[key], depth + 1)):
                return found
        return ""
    if isinstance(value, list):
        return _shorten("; ".join(filter(None, (_message_text(item, depth + 1) for item in value[:5]))))
    if isinstance(value, bool) or value is None:
        return ""
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

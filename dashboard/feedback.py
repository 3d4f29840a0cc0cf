"""API errors as one clear sentence for the page (never a traceback, never a secret)."""

from __future__ import annotations

from ceox_api.errors import (
    AuthError,
    CeoxError,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
)
from dashboard import capabilities


def explain_error(exc: Exception) -> str:
    if isinstance(exc, PermissionDenied):
        return (f"Your role lacks the “{capabilities.label(exc.capability)}” capability." if exc.capability
                else f"Not allowed: {exc.message}")
    if isinstance(exc, AuthError):
        return "The credential was refused (expired or revoked): connect again."
    if isinstance(exc, TransportError):
        return "The CEOX service is unreachable right now; nothing was changed by this attempt. Try again."
    if isinstance(exc, RateLimited):
        return "The service is rate limiting requests: wait a moment and try again."
    if isinstance(exc, ServerError):
        return f"The service failed ({exc.status}); try again. {exc.message}".strip()
    if isinstance(exc, NotFound):
        return f"Not found (deleted meanwhile, or outside your inboxes): {exc.message}"
    if isinstance(exc, Conflict):
        return exc.message or "Conflict with the current data."
    if isinstance(exc, CeoxError):
        return exc.message or str(exc)
    # Not an API error: a fault of this dashboard. Its name means nothing to the reader; the log has it.
    return "An unexpected problem stopped this change: it may not have been made. Check, then try again."


def delivery_problem(status_code: int | None, error: str | None) -> str:
    """Why a webhook delivery failed, in words, from the delivery log's status and error text (which
    names exception classes and errno codes, "ConnectError: [Errno 111] Connection refused")."""
    if status_code is not None and 200 <= status_code < 300:
        return ""
    if status_code is not None:
        return f"The receiver answered with an error ({status_code})."
    text = (error or "").lower()
    for clue, words in (("refused", "Nothing is listening at that address (connection refused)."),
                        ("timed out", "The receiver did not answer in time."),
                        ("timeout", "The receiver did not answer in time."),
                        ("ssl", "The secure connection failed (certificate problem)."),
                        ("certificate", "The secure connection failed (certificate problem)."),
                        ("name or service", "The receiver's host name could not be found."),
                        ("resolve", "The receiver's host name could not be found."),
                        ("unreachable", "The receiver's network could not be reached.")):
        if clue in text:
            return words
    return "The receiver could not be reached." if text else ""

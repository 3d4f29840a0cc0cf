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


def explain_error(exc: Exception) -> str:
    if isinstance(exc, PermissionDenied):
        return f"Your role lacks {exc.capability}." if exc.capability else f"Not allowed: {exc.message}"
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
    return f"Unexpected problem ({type(exc).__name__})."

"""What every route module needs: the sandbox, the caller, documented errors, partial updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Response
from pydantic import BaseModel

from ceox_sandbox.access import Caller, authenticate
from ceox_sandbox.errors import bad_request
from ceox_sandbox.schemas import MAX_ID, ErrorBody
from ceox_sandbox.state import Host, Sandbox

CallerDep = Annotated[Caller, Depends(authenticate)]


def get_host(request: Request) -> Host:
    return request.app.state.host


def caller_workspace(caller: CallerDep) -> Sandbox:
    """The caller's own workspace (FastAPI authenticates once per request and shares the result)."""
    return caller.workspace


HostDep = Annotated[Host, Depends(get_host)]
SandboxDep = Annotated[Sandbox, Depends(caller_workspace)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

ERRORS = {status: {"model": ErrorBody, "description": text} for status, text in (
    (400, "bad input"), (401, "missing or bad credential"), (403, "capability missing"),
    (404, "not found, or outside your inboxes"), (409, "conflict"), (429, "rate limited"))}


def changes(body: BaseModel) -> dict:
    """The fields a partial update actually sent; `null` is refused rather than read as 'unchanged'."""
    sent = body.model_dump(exclude_unset=True)
    nulls = sorted(name for name, value in sent.items() if value is None)
    if nulls:
        raise bad_request(f"{', '.join(nulls)}: must not be null (leave a field out to keep it)")
    return sent


def no_content() -> Response:
    return Response(status_code=204)

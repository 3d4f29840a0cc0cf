"""Stored media behind `media_url` (`/media/<name>`), for callers who may see its conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ceox_sandbox.errors import not_found
from ceox_sandbox.routes.common import ERRORS, CallerDep, SandboxDep

router = APIRouter(responses=ERRORS, tags=["media"])


@router.get("/media/{name}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}})
def get_media(name: Annotated[str, Path(max_length=200)], sandbox: SandboxDep, caller: CallerDep):
    scope, params = caller.scope("d.inbox_id")
    with sandbox.store.tx() as db:
        row = db.execute(
            "SELECT m.mime, m.data, (SELECT msg.media_filename FROM messages msg"
            "  JOIN conversations c ON c.id = msg.conversation_id JOIN devices d ON d.id = c.device_id"
            f"  WHERE msg.media_url = ? AND {scope} LIMIT 1) AS filename,"
            " EXISTS (SELECT 1 FROM messages msg JOIN conversations c ON c.id = msg.conversation_id"
            f"  JOIN devices d ON d.id = c.device_id WHERE msg.media_url = ? AND {scope}) AS visible"
            " FROM media m WHERE m.name = ?",
            (f"/media/{name}", *params, f"/media/{name}", *params, name)).fetchone()
    if row is None or not row["visible"]:
        raise not_found("media", name)
    headers = {"Content-Disposition": f'inline; filename="{(row["filename"] or name).replace(chr(34), "")}"'}
    return Response(content=row["data"], media_type=row["mime"], headers=headers)

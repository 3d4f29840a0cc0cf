"""Webhook registrations."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter

from ceox_sandbox import views
from ceox_sandbox.errors import bad_request, conflict, not_found
from ceox_sandbox.routes.common import ERRORS, CallerDep, PathId, SandboxDep, no_content
from ceox_sandbox.schemas import Webhook, WebhookBody
from ceox_sandbox.store import now_iso

router = APIRouter(responses=ERRORS, tags=["webhooks"])


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number from 0 to 65535)
        httpx.URL(url)  # what delivery will post to: refuses control characters and bad ports
    except (ValueError, httpx.InvalidURL):
        raise bad_request("url is not a valid address: use http:// or https://, such as "
                          "https://example.com/hooks/ceox") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("url must be an http:// or https:// address, such as https://example.com/hooks/ceox")
    if parts.username or parts.password:
        raise bad_request("url must not carry a user name or password")
    if any(ch.isspace() for ch in url):
        raise bad_request("url must not contain spaces")
    return url


@router.get("/webhooks", response_model=list[Webhook])
def list_webhooks(sandbox: SandboxDep, caller: CallerDep):
    caller.require("webhooks.manage")
    with sandbox.store.tx() as db:
        return views.webhooks(db)


@router.post("/webhooks", status_code=201, response_model=Webhook)
def create_webhook(body: WebhookBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("webhooks.manage")
    url = _check_url(body.url)
    with sandbox.store.tx() as db:
        if db.execute("SELECT 1 FROM webhooks WHERE url = ?", (url,)).fetchone():
            raise conflict(f"a webhook for {url} already exists")
        webhook_id = db.execute("INSERT INTO webhooks (url, events, active, created_at) VALUES (?, ?, 1, ?)",
                                (url, json.dumps(body.events), now_iso())).lastrowid
        return views.webhooks(db, "id = ?", (webhook_id,))[0]


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("webhooks.manage")
    with sandbox.store.tx() as db:
        if db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount == 0:
            raise not_found("webhook", webhook_id)
    return no_content()

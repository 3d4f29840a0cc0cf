"""Webhooks: URLs that receive a POST for every incoming WhatsApp message (needs webhooks.manage)."""

from __future__ import annotations

from collections.abc import Sequence

from ceox_api._call import Call, given, many, nothing, one
from ceox_api.models import Webhook
from ceox_api.resources._resource import Mode, Resource, endpoint


class Webhooks(Resource[Mode]):
    @endpoint
    def list(self) -> Call[list[Webhook]]:
        return Call("GET", "/webhooks", many(Webhook))

    @endpoint
    def create(self, url: str, *, events: Sequence[str] | None = None) -> Call[Webhook]:
        """`events` defaults, on the service, to ["message.received"]."""
        return Call("POST", "/webhooks", one(Webhook), json=given(url=url, events=_listed(events)))

    @endpoint
    def delete(self, webhook_id: int) -> Call[None]:
        return Call("DELETE", "/webhooks/{id}", nothing, {"id": webhook_id})


def _listed(values: Sequence[object] | None) -> list[object] | None:
    """Any sequence (a tuple, a pandas column's values) as the JSON list the service expects."""
    return None if values is None else list(values)

"""Inboxes: groups of devices and the users who may see their conversations."""

from __future__ import annotations

from ceox_api._call import NOT_GIVEN, Call, NotGiven, changes, given, many, nothing, one
from ceox_api.assumptions import CLEARED_TEXT, INBOX_DEVICE_ITEM_PATH, UPDATE_METHOD
from ceox_api.models import Inbox, User
from ceox_api.resources._resource import Mode, Resource, endpoint


class Inboxes(Resource[Mode]):
    @endpoint
    def list(self) -> Call[list[Inbox]]:
        return Call("GET", "/inboxes", many(Inbox))

    @endpoint
    def create(self, name: str, *, description: str | None = None, color: str | None = None) -> Call[Inbox]:
        """A new inbox; `color` is "#rrggbb"."""
        return Call("POST", "/inboxes", one(Inbox), json=given(name=name, description=description, color=color))

    @endpoint
    def update(
        self,
        inbox_id: int,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | None | NotGiven = NOT_GIVEN,
        color: str | None | NotGiven = NOT_GIVEN,
    ) -> Call[Inbox]:
        """Change only the fields given; `description=None` or `color=None` clears it."""
        fields = changes(name=name, description=CLEARED_TEXT if description is None else description,
                         color=CLEARED_TEXT if color is None else color)
        return Call(UPDATE_METHOD, "/inboxes/{id}", one(Inbox), {"id": inbox_id}, json=fields)

    @endpoint
    def delete(self, inbox_id: int) -> Call[None]:
        """Delete the inbox with its memberships and device assignments."""
        return Call("DELETE", "/inboxes/{id}", nothing, {"id": inbox_id})

    @endpoint
    def members(self, inbox_id: int) -> Call[list[User]]:
        return Call("GET", "/inboxes/{id}/members", many(User), {"id": inbox_id})

    @endpoint
    def add_member(self, inbox_id: int, user_id: int) -> Call[None]:
        """Idempotent: adding a member twice is harmless."""
        return Call("POST", "/inboxes/{id}/members", nothing, {"id": inbox_id}, json={"user_id": user_id})

    @endpoint
    def remove_member(self, inbox_id: int, user_id: int) -> Call[None]:
        return Call("DELETE", "/inboxes/{id}/members/{user_id}", nothing, {"id": inbox_id, "user_id": user_id})

    @endpoint
    def assign_device(self, inbox_id: int, device_id: int) -> Call[None]:
        """Move the device into this inbox (a device belongs to at most one)."""
        return Call("POST", "/inboxes/{id}/devices", nothing, {"id": inbox_id}, json={"device_id": device_id})

    @endpoint
    def unassign_device(self, inbox_id: int, device_id: int) -> Call[None]:
        """Take the device out of this inbox. An extension: not in the published CEOX documentation."""
        return Call("DELETE", INBOX_DEVICE_ITEM_PATH, nothing, {"id": inbox_id, "device_id": device_id})

"""Contacts: the people conversations are with."""

from __future__ import annotations

from ceox_api._call import Call, given, many, one
from ceox_api.models import Contact
from ceox_api.resources._resource import Mode, Resource, endpoint


class Contacts(Resource[Mode]):
    @endpoint
    def list(self, *, q: str | None = None) -> Call[list[Contact]]:
        """All contacts, or those whose name or phone contains `q`."""
        return Call("GET", "/contacts", many(Contact), params=given(q=q))

    @endpoint
    def create(self, *, name: str, phone: str) -> Call[Contact]:
        """A new contact; `phone` is E.164. Raises Conflict if the phone exists."""
        return Call("POST", "/contacts", one(Contact), json={"name": name, "phone": phone})

"""Roles and the capabilities they grant (changing them needs roles.manage)."""

from __future__ import annotations

from collections.abc import Sequence

from ceox_api._call import NOT_GIVEN, Call, NotGiven, changes, many, nothing, one
from ceox_api.assumptions import UPDATE_METHOD
from ceox_api.models import Role
from ceox_api.resources._resource import Mode, Resource, endpoint


class Roles(Resource[Mode]):
    @endpoint
    def list(self) -> Call[list[Role]]:
        return Call("GET", "/roles", many(Role))

    @endpoint
    def create(self, name: str) -> Call[Role]:
        """A new role without capabilities."""
        return Call("POST", "/roles", one(Role), json={"name": name})

    @endpoint
    def update(self, role_id: int, *, name: str | NotGiven = NOT_GIVEN,
               capabilities: Sequence[str] | NotGiven = NOT_GIVEN) -> Call[Role]:
        """Rename (not a system role) and/or replace the capability set (`[]`: none); only the fields given change."""
        listed = capabilities if isinstance(capabilities, NotGiven) else list(capabilities)
        fields = changes(name=name, capabilities=listed)
        return Call(UPDATE_METHOD, "/roles/{id}", one(Role), {"id": role_id}, json=fields)

    @endpoint
    def delete(self, role_id: int) -> Call[None]:
        """Delete a role; raises Conflict while users still have it."""
        return Call("DELETE", "/roles/{id}", nothing, {"id": role_id})

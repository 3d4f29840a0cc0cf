"""Users of the workspace (needs users.manage)."""

from __future__ import annotations

from collections.abc import Sequence

from ceox_api._call import NOT_GIVEN, Call, NotGiven, changes, many, nothing, one
from ceox_api.assumptions import UPDATE_METHOD
from ceox_api.models import User, UserStatus
from ceox_api.resources._resource import Mode, Resource, endpoint


class Users(Resource[Mode]):
    @endpoint
    def list(self) -> Call[list[User]]:
        return Call("GET", "/users", many(User))

    @endpoint
    def create(
        self, *, name: str, email: str, password: str, role_id: int, inbox_ids: Sequence[int] = ()
    ) -> Call[User]:
        """A new user; `password` has at least 8 characters. Raises Conflict on a duplicate email."""
        fields = {"name": name, "email": email, "password": password, "role_id": role_id, "inbox_ids": list(inbox_ids)}
        return Call("POST", "/users", one(User), json=fields)

    @endpoint
    def update(
        self,
        user_id: int,
        *,
        name: str | NotGiven = NOT_GIVEN,
        email: str | NotGiven = NOT_GIVEN,
        role_id: int | NotGiven = NOT_GIVEN,
        status: UserStatus | NotGiven = NOT_GIVEN,
        inbox_ids: Sequence[int] | NotGiven = NOT_GIVEN,
    ) -> Call[User]:
        """Change only the fields given; `inbox_ids` replaces the user's memberships (`[]`: none)."""
        fields = changes(
            name=name,
            email=email,
            role_id=role_id,
            status=status,
            inbox_ids=inbox_ids if isinstance(inbox_ids, NotGiven) else list(inbox_ids),
        )
        return Call(UPDATE_METHOD, "/users/{id}", one(User), {"id": user_id}, json=fields)

    @endpoint
    def delete(self, user_id: int) -> Call[None]:
        """Delete a user (not yourself)."""
        return Call("DELETE", "/users/{id}", nothing, {"id": user_id})

    @endpoint
    def set_password(self, user_id: int, password: str) -> Call[None]:
        """Reset another user's password (at least 8 characters)."""
        return Call("PUT", "/users/{id}/password", nothing, {"id": user_id}, json={"password": password})

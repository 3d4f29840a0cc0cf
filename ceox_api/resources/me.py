"""The caller itself: who the credential is, and its own password."""

from __future__ import annotations

from ceox_api._call import Call, nothing, one
from ceox_api.assumptions import ME_PATH
from ceox_api.models import Me
from ceox_api.resources._resource import Mode, Resource, endpoint


class CurrentUser(Resource[Mode]):
    @endpoint
    def get(self) -> Call[Me]:
        """The credential's kind, user, role and capabilities."""
        return Call("GET", ME_PATH, one(Me))

    @endpoint
    def change_password(self, *, current_password: str, new_password: str) -> Call[None]:
        """Change the signed-in user's own password (not possible with an API key)."""
        fields = {"current_password": current_password, "new_password": new_password}
        return Call("PUT", "/me/password", nothing, json=fields)

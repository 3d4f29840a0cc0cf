"""Signing in with a user's email and password."""

from __future__ import annotations

from ceox_api._call import Call, one
from ceox_api.assumptions import LOGIN_PATH
from ceox_api.models import LoginResult
from ceox_api.resources._resource import Mode, Resource, endpoint


class Auth(Resource[Mode]):
    @endpoint
    def login(self, *, email: str, password: str) -> Call[LoginResult]:
        """A user token (`.token.get_secret_value()`) and the user. Prefer `Client.login`."""
        return Call("POST", LOGIN_PATH, one(LoginResult), json={"email": email, "password": password})

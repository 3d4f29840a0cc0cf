"""How the dashboard tells workspaces and credentials apart when many share one address.

The published CEOX address serves every customer, so the base URL alone names nobody. Two names,
both short hashes that reveal no secret (docs/data-and-tenants.md says the same for users):

- `tenant`: whose local data a credential reaches (receiver secret and events, audit log, device
  history, webhook test results, analytics settings). The service's own workspace when `/me` names
  one; else the credential itself, since nothing proves two credentials share a workspace.
- `credential`: whose cached reads and conversation cache. An API key by its key; a user by base URL,
  user id and email, the same across sign-ins, so a new token finds the user's cache and settings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ceox_api import Client
from ceox_api.errors import NotFound
from ceox_api.models import Me


@dataclass(frozen=True)
class Identity:
    tenant: str
    credential: str


def _name(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def identify(base_url: str, credential: str, me: Me) -> Identity:
    """`credential` is `Credential.identity` of the key or token (kind and a hash, never the secret);
    `me` is what `/me` answered for it."""
    base = base_url.rstrip("/")
    if credential.startswith("token:") and me.user is not None:
        own = _name(base, "user", str(me.user.id), me.user.email.strip().lower())
    else:
        own = _name(base, credential)
    tenant = _name(base, "workspace", me.workspace_ref) if me.workspace_ref else own
    return Identity(tenant=tenant, credential=own)


def identify_client(client: Client) -> Identity:
    """`identify` for a client (a notebook's or a benchmark's): asks `/me` who it is."""
    if client.identity is None:
        raise ValueError("the client has no credential")
    try:
        me = client.me.get()
    except NotFound:
        if client.auth_kind != "api_key":
            raise
        me = Me(kind="api_key")  # a service without `/me` names no workspace: the key is its own tenant
    return identify(client.base_url, client.identity, me)

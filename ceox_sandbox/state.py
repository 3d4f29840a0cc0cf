"""Everything one running sandbox holds, shared by its routes through `app.state.host`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ceox_sandbox.faults import Faults
from ceox_sandbox.store import Store
from ceox_sandbox.webhooks import WebhookDispatcher


@dataclass(eq=False)
class Sandbox:
    """One workspace: its own database (data, users, keys, webhooks) and webhook deliveries."""
    store: Store
    faults: Faults  # the server's, shared by every workspace
    webhooks: WebhookDispatcher


@dataclass(eq=False)
class Host:
    """Every workspace behind the one address. Only a credential tells them apart: an API key, a user
    token or a sign-in email belongs to exactly one workspace, and nothing in a response names it."""
    workspaces: list[Sandbox]
    faults: Faults
    # Held while an email is checked and written, so that no two workspaces ever hold the same sign-in.
    accounts_lock: threading.Lock = field(default_factory=threading.Lock)

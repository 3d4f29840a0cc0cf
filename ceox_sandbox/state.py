"""Everything one running sandbox holds, shared by its routes through `app.state.sandbox`."""

from __future__ import annotations

from dataclasses import dataclass

from ceox_sandbox.faults import Faults
from ceox_sandbox.store import Store
from ceox_sandbox.webhooks import WebhookDispatcher


@dataclass
class Sandbox:
    store: Store
    faults: Faults
    webhooks: WebhookDispatcher

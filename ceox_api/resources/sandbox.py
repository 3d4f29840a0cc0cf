"""The local sandbox server's own endpoints, under `/sandbox/` beside `/api/v1` (API key only)."""

from __future__ import annotations

from ceox_api._call import Call, given, many, nothing, one
from ceox_api.models import ApiKey, Delivery, Faults, RequestCounts, SendResult
from ceox_api.resources._resource import Mode, Resource, endpoint


class Sandbox(Resource[Mode]):
    @endpoint
    def inbound(
        self,
        *,
        device_id: int,
        from_: str,
        name: str | None = None,
        body: str | None = None,
        media_type: str | None = None,
        is_group: bool | None = None,
    ) -> Call[SendResult]:
        """Simulate an incoming WhatsApp message from `from_` (E.164) to the device; webhooks fire."""
        fields = {"device_id": device_id, "from": from_} | given(
            name=name, body=body, media_type=media_type, is_group=is_group
        )
        return Call("POST", "/sandbox/inbound", one(SendResult), json=fields, sandbox=True)

    @endpoint
    def deliveries(self, *, webhook_id: int | None = None) -> Call[list[Delivery]]:
        """The webhook delivery log, oldest first: one row per attempt."""
        return Call("GET", "/sandbox/deliveries", many(Delivery), params=given(webhook_id=webhook_id), sandbox=True)

    @endpoint
    def create_api_key(self, name: str) -> Call[ApiKey]:
        """A new API key; its `key` is shown only in this answer."""
        return Call("POST", "/sandbox/api-keys", one(ApiKey), json={"name": name}, sandbox=True)

    @endpoint
    def list_api_keys(self) -> Call[list[ApiKey]]:
        return Call("GET", "/sandbox/api-keys", many(ApiKey), sandbox=True)

    @endpoint
    def revoke_api_key(self, key_id: int) -> Call[None]:
        return Call("DELETE", "/sandbox/api-keys/{id}", nothing, {"id": key_id}, sandbox=True)

    @endpoint
    def get_faults(self) -> Call[Faults]:
        return Call("GET", "/sandbox/faults", one(Faults), sandbox=True)

    @endpoint
    def set_faults(
        self,
        *,
        latency_ms: float | None = None,
        error_rate: float | None = None,
        rate_limit_per_s: float | None = None,
        throttle_rate: float | None = None,
    ) -> Call[Faults]:
        """Inject latency, random 5xx (`error_rate` 0..1) and 429s (past `rate_limit_per_s`, or a random
        `throttle_rate` share: a sandbox extension) into `/api/v1`; replaces earlier faults."""
        fields = given(latency_ms=latency_ms, error_rate=error_rate, rate_limit_per_s=rate_limit_per_s,
                       throttle_rate=throttle_rate)
        return Call("POST", "/sandbox/faults", one(Faults), json=fields, sandbox=True)

    @endpoint
    def clear_faults(self) -> Call[Faults]:
        return Call("POST", "/sandbox/faults", one(Faults), json={}, sandbox=True)

    @endpoint
    def served_requests(self) -> Call[RequestCounts]:
        """How many requests each `/api/v1` path has served (past the injected faults), every workspace's."""
        return Call("GET", "/sandbox/requests", one(RequestCounts), sandbox=True)

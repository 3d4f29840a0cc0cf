"""Typed objects of the CEOX API, read tolerantly.

The real service may differ from the contract's assumed field names, so every model accepts
snake_case, camelCase and PascalCase keys (`device_id`, `deviceId`, `DeviceID`), ignores fields it
does not know, treats `null` like a missing field and defaults every field but `id`. Timestamps
with any offset or fraction become timezone-aware UTC datetimes; "never" in any of its spellings
(Go's zero time, "", 0) is missing. Omitted fields follow the rules in `ceox_api.assumptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator

from ceox_api.assumptions import OMITTED_BOOLEAN, ZERO_TIME_PREFIXES


def normalise_key(key: str) -> str:
    """`DeviceID`, `deviceId` and `device_id` all become `deviceid`."""
    return key.replace("_", "").replace("-", "").lower()


def _never_is_none(value: Any) -> Any:
    """The ways a service says "no time" (assumptions.ZERO_TIME_PREFIXES, "", 0) read as missing."""
    if isinstance(value, str) and (not value.strip() or value.startswith(ZERO_TIME_PREFIXES)):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return None
    return value


def _as_utc(value: datetime | None) -> datetime | None:
    """An offset-less time is taken as UTC, the contract's zone; any other offset is converted."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime | None, BeforeValidator(_never_is_none), AfterValidator(_as_utc)]
ConversationFilter = Literal["open", "solved", "all"]
ConversationStatus = Literal["open", "solved"]
UserStatus = Literal["online", "idle", "offline"]


class CeoxModel(BaseModel):
    """Base of every model: one key-normalising reader instead of per-field aliases."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _match_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        field_of = _KeyMatcher.of(cls)
        matched: dict[str, Any] = {}
        for key, value in data.items():
            name = field_of(key)
            # null is read as "not given" so that the field's default applies.
            if name is None or value is None:
                continue
            # An exact field name wins over a differently spelt duplicate.
            if key == name or name not in matched:
                matched[name] = value
        return matched


class _KeyMatcher:
    """The field a raw key names, remembered per key: thread lists repeat the same keys thousands of times."""

    # Bounds the memory a service sending ever-new keys could take.
    _MAX_REMEMBERED = 512

    def __init__(self, model: type[BaseModel]) -> None:
        self._fields = {normalise_key(name): name for name in model.model_fields}
        self._seen: dict[str, str | None] = {}

    @classmethod
    @cache
    def of(cls, model: type[BaseModel]) -> _KeyMatcher:
        return cls(model)

    def __call__(self, key: Any) -> str | None:
        try:
            return self._seen[key]
        except KeyError:
            name = self._fields.get(normalise_key(str(key)))
            if len(self._seen) < self._MAX_REMEMBERED:
                self._seen[key] = name
            return name


class Conversation(CeoxModel):
    id: int
    contact_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    is_group: bool = False
    device_id: int | None = None
    device_name: str = ""
    device_phone: str = ""
    inbox_id: int | None = None
    last_message: str = ""
    last_message_at: Timestamp = None
    unread: int = 0
    status: str = "open"
    created_at: Timestamp = None
    solved_at: Timestamp = None


class Message(CeoxModel):
    id: int
    conversation_id: int | None = None
    wa_message_id: str = ""
    from_me: bool = False
    body: str = ""
    media_type: str = ""
    media_url: str = ""
    media_mime: str = ""
    media_filename: str = ""
    reply_to: str = ""
    status: str = ""
    sender_user_id: int | None = None
    timestamp: Timestamp = None


class SendResult(CeoxModel):
    conversation_id: int
    message: Message


class Device(CeoxModel):
    id: int
    name: str = ""
    phone: str = ""
    wa_jid: str = ""
    status: str = ""
    inbox_id: int | None = None
    last_seen_at: Timestamp = None


class DeviceStatus(CeoxModel):
    device_id: int
    name: str = ""
    phone: str = ""
    connected: bool = False
    status: str = ""
    last_seen_at: Timestamp = None


class Contact(CeoxModel):
    id: int
    name: str = ""
    phone: str = ""
    created_at: Timestamp = None


class Webhook(CeoxModel):
    id: int
    url: str = ""
    events: list[str] = Field(default_factory=list)
    active: bool = OMITTED_BOOLEAN
    created_at: Timestamp = None


class User(CeoxModel):
    id: int
    name: str = ""
    email: str = ""
    role_id: int | None = None
    role_name: str = ""
    status: str = ""
    inbox_ids: list[int] = Field(default_factory=list)
    created_at: Timestamp = None
    last_seen_at: Timestamp = None


class Role(CeoxModel):
    id: int
    name: str = ""
    is_system: bool = False
    capabilities: list[str] = Field(default_factory=list)
    user_count: int | None = None


class Inbox(CeoxModel):
    id: int
    name: str = ""
    description: str = ""
    color: str = ""
    member_ids: list[int] = Field(default_factory=list)
    device_ids: list[int] = Field(default_factory=list)


def _workspace_ref(value: Any) -> str:
    """A workspace id as text; anything that is not a plain string or number reads as none given."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    text = str(value).strip()
    return text if len(text) <= 200 else ""


WorkspaceRef = Annotated[str, BeforeValidator(_workspace_ref)]


class WorkspaceInfo(CeoxModel):
    id: WorkspaceRef = ""


def _object_or_none(value: Any) -> Any:
    return value if isinstance(value, Mapping) else None


class Me(CeoxModel):
    """Who the credential is: an API key (full access) or a user with a role.

    The contract's `/me` names no workspace; a service that does (`workspace_id`, or `workspace: {id}`)
    lets the dashboard tell workspaces apart on one address (`workspace_ref`).
    """

    kind: str = ""
    user: User | None = None
    role: Role | None = None
    capabilities: list[str] = Field(default_factory=list)
    workspace_id: WorkspaceRef = ""
    workspace: Annotated[WorkspaceInfo | None, BeforeValidator(_object_or_none)] = None

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def workspace_ref(self) -> str:
        """The service's own name for the credential's workspace, or "" when it gives none."""
        return self.workspace_id or (self.workspace.id if self.workspace else "")


class LoginResult(CeoxModel):
    # SecretStr keeps the token out of repr() and str(); read it with .get_secret_value().
    token: SecretStr
    user: User | None = None


class WebhookEvent(CeoxModel):
    """The JSON a webhook receives for each incoming WhatsApp message."""

    event: str = ""
    conversation_id: int | None = None
    from_: str = ""
    name: str = ""
    wa_message_id: str = ""
    body: str = ""
    media_type: str = ""
    media_url: str = ""
    is_group: bool = False
    timestamp: Timestamp = None


class Delivery(CeoxModel):
    """One attempt of the sandbox to deliver a webhook event."""

    id: int
    webhook_id: int | None = None
    url: str = ""
    event: str = ""
    conversation_id: int | None = None
    attempt: int | None = None
    status_code: int | None = None
    error: str = ""
    duration_ms: float | None = None
    time: Timestamp = None


class ApiKey(CeoxModel):
    """A sandbox API key; `key` is only known in the answer that created it."""

    id: int
    name: str = ""
    key: SecretStr | None = None
    key_prefix: str = ""
    created_at: Timestamp = None
    revoked_at: Timestamp = None


class Faults(CeoxModel):
    """The sandbox's injected faults; zero or None means off."""

    latency_ms: float = 0
    error_rate: float = 0
    rate_limit_per_s: float | None = None
    throttle_rate: float = 0


class RequestCounts(CeoxModel):
    """The sandbox's count of served `/api/v1` requests, by path."""

    counts: dict[str, int]

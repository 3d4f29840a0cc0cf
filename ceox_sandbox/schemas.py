"""Request bodies (validated) and response objects (for the OpenAPI document), by the contract's names."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ceox_sandbox.capabilities import CAPABILITIES

MAX_ID = 2**63 - 1
E164 = re.compile(r"^\+[1-9][0-9]{6,14}\Z")  # ASCII digits only; \Z, not $, which allows a trailing newline
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}\Z")
EVENTS = ("message.received",)
MAX_EVENTS = 20  # a list of event names, repeats allowed; more than this is not a subscription
# The base64 of the largest legal media (a 100 MiB document). Longer media is refused with 413 by
# messaging.decode_media, as the contract says for oversized media; the request body limit
# (body_limit.MEDIA_LIMIT) keeps anything much longer from being read at all.
MAX_MEDIA_BASE64 = 4 * -(-100 * 1024 * 1024 // 3)


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _stripped_nonempty(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return _no_control_characters(value)


def _e164(value: str) -> str:
    if not E164.match(value):
        raise ValueError("must be an E.164 phone number such as +6281234567890")
    return value


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL.match(value):
        raise ValueError("must be an email address such as budi@acme.co")
    return value


def _color(value: str) -> str:
    if value and not COLOR.match(value):
        raise ValueError("must be a colour written #rrggbb, such as #16a34a")
    return value


def _capabilities(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"unknown capability {', '.join(unknown)}; known: {', '.join(CAPABILITIES)}")
    return sorted(set(values))


def _events(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(EVENTS))
    if unknown or not values:
        raise ValueError(f"events must be a non-empty list of: {', '.join(EVENTS)}")
    return sorted(set(values))


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, Field(max_length=200), AfterValidator(_stripped_nonempty)]
Phone = Annotated[str, Field(max_length=32), AfterValidator(_e164)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Password = Annotated[str, Field(min_length=8, max_length=1024)]
Color = Annotated[str, Field(max_length=7), AfterValidator(_color)]
Description = Annotated[str, Field(max_length=1000), AfterValidator(_no_control_characters)]
MessageText = Annotated[str, Field(max_length=65536)]
Base64Media = Annotated[str, Field(json_schema_extra={"maxLength": MAX_MEDIA_BASE64})]
Capabilities = Annotated[list[str], Field(max_length=64), AfterValidator(_capabilities)]
UserStatus = Literal["online", "idle", "offline"]
ConversationStatus = Literal["open", "solved"]
MediaType = Literal["", "image", "video", "audio", "document", "sticker"]


class RequestBody(BaseModel):
    # Unknown fields are ignored, like most JSON APIs do; `null` is never a value we accept.
    model_config = ConfigDict(extra="ignore")


# ---- request bodies -------------------------------------------------------------------------

class LoginBody(RequestBody):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=1024)]


class ConversationMessageBody(RequestBody):
    """`POST /conversations/{id}/messages`: PascalCase, as documented."""
    Body: MessageText = ""
    MediaBase64: Base64Media = ""
    MediaMime: Annotated[str, Field(max_length=255)] = ""
    MediaFilename: Annotated[str, Field(max_length=255)] = ""
    ReplyTo: Annotated[str, Field(max_length=128)] = ""


class StatusBody(RequestBody):
    status: ConversationStatus


class SendBody(RequestBody):
    """`POST /messages/send`: snake_case, as documented."""
    to: Phone
    body: MessageText = ""
    device_id: Id | None = None
    from_: Annotated[str, Field(alias="from", max_length=64)] = ""
    name: Annotated[str, Field(max_length=200)] = ""
    media_base64: Base64Media = ""
    media_mime: Annotated[str, Field(max_length=255)] = ""
    media_filename: Annotated[str, Field(max_length=255)] = ""


class WebhookBody(RequestBody):
    url: Annotated[str, Field(max_length=2048)]
    events: Annotated[list[str], Field(max_length=MAX_EVENTS), AfterValidator(_events)] = ["message.received"]


class ContactBody(RequestBody):
    name: Name
    phone: Phone


class UserCreateBody(RequestBody):
    name: Name
    email: Email
    password: Password
    role_id: Id
    inbox_ids: Annotated[list[Id], Field(max_length=1000)] = []


class UserUpdateBody(RequestBody):
    name: Name | None = None
    email: Email | None = None
    role_id: Id | None = None
    status: UserStatus | None = None
    inbox_ids: Annotated[list[Id], Field(max_length=1000)] | None = None


class PasswordBody(RequestBody):
    password: Password


class MyPasswordBody(RequestBody):
    current_password: Annotated[str, Field(max_length=1024)]
    new_password: Password


class RoleCreateBody(RequestBody):
    name: Name


class RoleUpdateBody(RequestBody):
    name: Name | None = None
    capabilities: Capabilities | None = None


class InboxCreateBody(RequestBody):
    name: Name
    description: Description = ""
    color: Color = ""


class InboxUpdateBody(RequestBody):
    name: Name | None = None
    description: Description | None = None
    color: Color | None = None


class MemberBody(RequestBody):
    user_id: Id


class DeviceAssignBody(RequestBody):
    device_id: Id


class InboundBody(RequestBody):
    device_id: Id
    from_: Annotated[Phone, Field(alias="from")]
    name: Annotated[str, Field(max_length=200)] = ""
    body: MessageText = ""
    media_type: MediaType = ""
    is_group: bool = False


class ApiKeyBody(RequestBody):
    name: Name


class FaultsBody(RequestBody):
    latency_ms: Annotated[float, Field(ge=0, le=60_000)] = 0
    error_rate: Annotated[float, Field(ge=0, le=1)] = 0
    rate_limit_per_s: Annotated[float, Field(gt=0, le=100_000)] | None = None
    # Extension: a share of requests answered 429 at random, whatever their rate.
    throttle_rate: Annotated[float, Field(ge=0, le=1)] = 0


# ---- response objects -----------------------------------------------------------------------

class Conversation(BaseModel):
    id: int
    contact_id: int
    contact_name: str
    contact_phone: str
    is_group: bool
    device_id: int
    device_name: str
    device_phone: str
    inbox_id: int | None
    last_message: str
    last_message_at: str | None
    unread: int
    status: ConversationStatus
    created_at: str
    solved_at: str | None


class Message(BaseModel):
    id: int
    conversation_id: int
    wa_message_id: str
    from_me: bool
    body: str
    media_type: str
    media_url: str
    media_mime: str
    media_filename: str
    reply_to: str
    status: str
    sender_user_id: int | None
    timestamp: str


class SendResult(BaseModel):
    conversation_id: int
    message: Message


class Device(BaseModel):
    id: int
    name: str
    phone: str
    wa_jid: str
    status: Literal["connected", "disconnected"]
    inbox_id: int | None
    last_seen_at: str | None


class DeviceStatus(BaseModel):
    device_id: int
    name: str
    phone: str
    connected: bool
    status: str
    last_seen_at: str | None


class WaStatus(BaseModel):
    devices: list[DeviceStatus]


class Contact(BaseModel):
    id: int
    name: str
    phone: str
    created_at: str


class Webhook(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: str


class User(BaseModel):
    id: int
    name: str
    email: str
    role_id: int
    role_name: str
    status: UserStatus
    inbox_ids: list[int]
    created_at: str
    last_seen_at: str | None


class Role(BaseModel):
    id: int
    name: str
    is_system: bool
    capabilities: list[str]
    user_count: int


class Inbox(BaseModel):
    id: int
    name: str
    description: str
    color: str
    member_ids: list[int]
    device_ids: list[int]


class LoginResult(BaseModel):
    token: str
    user: User


class Me(BaseModel):
    kind: Literal["api_key", "user"]
    user: User | None
    role: Role | None
    capabilities: list[str]


class Delivery(BaseModel):
    id: int
    webhook_id: int
    url: str
    event: str
    conversation_id: int | None
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: float
    time: str


class NewApiKey(BaseModel):
    id: int
    name: str
    key: str


class ApiKey(BaseModel):
    id: int
    name: str
    key_prefix: str
    created_at: str
    revoked_at: str | None


class Faults(BaseModel):
    latency_ms: float
    error_rate: float
    rate_limit_per_s: float | None
    throttle_rate: float


class RequestCounts(BaseModel):
    counts: dict[str, int]


class ErrorBody(BaseModel):
    error: str
    capability: str | None = None

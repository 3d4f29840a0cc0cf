"""A typed client for the CEOX WhatsApp API.

    from ceox_api import Client
    with Client(api_key="ceox_...") as client:
        open_chats = client.conversations.list()

Importing this package imports neither pandas nor streamlit; `to_frame` loads pandas when called.
"""

from ceox_api._base import DEFAULT_TIMEOUT, Credential
from ceox_api._call import NOT_GIVEN, NotGiven
from ceox_api._call import many as list_of
from ceox_api._call import one as object_of
from ceox_api._paging import Listing, is_partial
from ceox_api.client import AsyncClient, Client
from ceox_api.errors import (
    AuthError,
    CeoxError,
    Conflict,
    IncompleteList,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RequestRefused,
    ServerError,
    TransportError,
    ValidationError,
)
from ceox_api.frames import to_frame
from ceox_api.models import (
    ApiKey,
    Contact,
    Conversation,
    Delivery,
    Device,
    DeviceStatus,
    Faults,
    Inbox,
    LoginResult,
    Me,
    Message,
    RequestCounts,
    Role,
    SendResult,
    User,
    Webhook,
    WebhookEvent,
)

__all__ = [
    "Credential",
    "list_of",
    "object_of",
    "NOT_GIVEN",
    "NotGiven",
    "DEFAULT_TIMEOUT",
    "ApiKey",
    "AsyncClient",
    "AuthError",
    "CeoxError",
    "Client",
    "Conflict",
    "Contact",
    "Conversation",
    "Delivery",
    "Device",
    "DeviceStatus",
    "Faults",
    "RequestCounts",
    "IncompleteList",
    "Inbox",
    "Listing",
    "LoginResult",
    "Me",
    "Message",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RequestRefused",
    "Role",
    "SendResult",
    "ServerError",
    "TransportError",
    "User",
    "ValidationError",
    "Webhook",
    "WebhookEvent",
    "is_partial",
    "to_frame",
]

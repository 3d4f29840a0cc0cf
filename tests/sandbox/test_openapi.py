"""The sandbox's OpenAPI document describes the CEOX endpoints with the contract's field names."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.helpers import (
    CONTACT,
    CONTRACT_ENDPOINTS,
    CONVERSATION,
    DEVICE,
    DEVICE_STATUS,
    INBOX,
    MESSAGE,
    ROLE,
    SANDBOX_ENDPOINTS,
    USER,
    WEBHOOK,
    request,
)

# The request body of each contract endpoint: its documented fields.
REQUEST_FIELDS = {
    ("POST", "/conversations/{}/messages"): {"Body", "MediaBase64", "MediaMime", "MediaFilename", "ReplyTo"},
    ("POST", "/conversations/{}/status"): {"status"},
    ("POST", "/messages/send"): {"to", "body", "device_id", "from", "name", "media_base64", "media_mime",
                                 "media_filename"},
    ("POST", "/webhooks"): {"url", "events"},
    ("POST", "/contacts"): {"name", "phone"},
    ("POST", "/users"): {"name", "email", "password", "role_id", "inbox_ids"},
    ("PUT", "/users/{}"): {"name", "email", "role_id", "status", "inbox_ids"},
    ("PUT", "/users/{}/password"): {"password"},
    ("PUT", "/me/password"): {"current_password", "new_password"},
    ("POST", "/roles"): {"name"},
    ("PUT", "/roles/{}"): {"name", "capabilities"},
    ("POST", "/inboxes"): {"name", "description", "color"},
    ("PUT", "/inboxes/{}"): {"name", "description", "color"},
    ("POST", "/inboxes/{}/members"): {"user_id"},
    ("POST", "/inboxes/{}/devices"): {"device_id"},
    ("POST", "/auth/login"): {"email", "password"},
    ("POST", "/sandbox/inbound"): {"device_id", "from", "name", "body", "media_type", "is_group"},
    ("POST", "/sandbox/api-keys"): {"name"},
    ("POST", "/sandbox/faults"): {"latency_ms", "error_rate", "rate_limit_per_s", "throttle_rate"},
}
REQUIRED_FIELDS = {
    ("POST", "/messages/send"): {"to"},
    ("POST", "/contacts"): {"name", "phone"},
    ("POST", "/users"): {"name", "email", "password", "role_id"},
    ("POST", "/conversations/{}/status"): {"status"},
    ("POST", "/webhooks"): {"url"},
}
OBJECTS = {"Conversation": CONVERSATION, "Message": MESSAGE, "Device": DEVICE, "DeviceStatus": DEVICE_STATUS,
           "Contact": CONTACT, "Webhook": WEBHOOK, "User": USER, "Role": ROLE, "Inbox": INBOX}
# The answer of each endpoint that returns an object or a list of them.
ANSWERS = {
    ("GET", "/conversations"): ("array", "Conversation"),
    ("GET", "/conversations/{}/messages"): ("array", "Message"),
    ("POST", "/conversations/{}/messages"): ("object", "Message"),
    ("POST", "/conversations/{}/status"): ("object", "Conversation"),
    ("GET", "/webhooks"): ("array", "Webhook"),
    ("POST", "/webhooks"): ("object", "Webhook"),
    ("GET", "/contacts"): ("array", "Contact"),
    ("POST", "/contacts"): ("object", "Contact"),
    ("GET", "/devices"): ("array", "Device"),
    ("GET", "/users"): ("array", "User"),
    ("POST", "/users"): ("object", "User"),
    ("PUT", "/users/{}"): ("object", "User"),
    ("GET", "/roles"): ("array", "Role"),
    ("POST", "/roles"): ("object", "Role"),
    ("PUT", "/roles/{}"): ("object", "Role"),
    ("GET", "/inboxes"): ("array", "Inbox"),
    ("POST", "/inboxes"): ("object", "Inbox"),
    ("PUT", "/inboxes/{}"): ("object", "Inbox"),
    ("GET", "/inboxes/{}/members"): ("array", "User"),
}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def document(demo_sandbox) -> dict:
    response = request("GET", f"{demo_sandbox.base_url}/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def operations(document) -> dict:
    """(METHOD, path with `{}` for parameters, relative to /api/v1 for the API) → operation."""
    found = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found[(method.upper(), _shape(path.removeprefix("/api/v1")))] = operation
    return found


def _schema(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _body(document: dict, operation: dict) -> dict:
    return _schema(document, operation["requestBody"]["content"]["application/json"]["schema"])


def test_every_contract_and_sandbox_endpoint_is_described(document, operations):
    assert document["info"]["title"]
    missing = [(m, p) for m, p in CONTRACT_ENDPOINTS + SANDBOX_ENDPOINTS if (m, _shape(p)) not in operations]
    assert missing == []
    assert all(path.startswith(("/api/v1/", "/sandbox/", "/healthz")) for path in document["paths"])


@pytest.mark.parametrize(("method", "path"), list(REQUEST_FIELDS))
def test_request_bodies_use_the_contract_field_names(document, operations, method, path):
    body = _body(document, operations[(method, path)])
    assert set(body["properties"]) == REQUEST_FIELDS[(method, path)]
    assert set(body.get("required", [])) >= REQUIRED_FIELDS.get((method, path), set())


def test_the_two_send_bodies_are_spelled_as_documented(document, operations):
    conversation = _body(document, operations[("POST", "/conversations/{}/messages")])
    assert "Body" in conversation["properties"] and "MediaBase64" in conversation["properties"]
    assert "body" not in conversation["properties"]
    send = _body(document, operations[("POST", "/messages/send")])
    assert {"to", "from"} <= set(send["properties"]) and "from_" not in send["properties"]


@pytest.mark.parametrize("name", list(OBJECTS))
def test_objects_have_the_contract_fields(document, name):
    assert set(document["components"]["schemas"][name]["properties"]) == OBJECTS[name]


@pytest.mark.parametrize(("method", "path"), list(ANSWERS))
def test_answers_are_the_contract_objects(document, operations, method, path):
    kind, name = ANSWERS[(method, path)]
    responses = operations[(method, path)]["responses"]
    status = "201" if method == "POST" and path in ("/webhooks", "/contacts", "/users", "/roles", "/inboxes",
                                                   "/conversations/{}/messages") else "200"
    schema = responses[status]["content"]["application/json"]["schema"]
    if kind == "array":
        assert schema["type"] == "array"
        schema = schema["items"]
    assert schema["$ref"].endswith(f"/{name}")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("POST", "/messages/send", "201"), ("POST", "/users", "201"), ("POST", "/sandbox/inbound", "201"),
    ("POST", "/sandbox/api-keys", "201"), ("DELETE", "/users/{}", "204"), ("POST", "/conversations/{}/read", "204"),
    ("PUT", "/me/password", "204"), ("POST", "/inboxes/{}/members", "204"), ("POST", "/inboxes/{}/devices", "204"),
    ("DELETE", "/inboxes/{}/devices/{}", "204"), ("DELETE", "/sandbox/api-keys/{}", "204"),
])
def test_documented_status_codes(operations, method, path, status):
    assert status in operations[(method, path)]["responses"]


def test_send_answers_conversation_id_and_message(document, operations):
    schema = _schema(document, operations[("POST", "/messages/send")]["responses"]["201"]["content"]
                     ["application/json"]["schema"])
    assert set(schema["properties"]) == {"conversation_id", "message"}


def test_errors_are_described_as_error_bodies(document, operations):
    for status in ("400", "401", "403", "404", "409"):
        schema = operations[("POST", "/users")]["responses"][status]["content"]["application/json"]["schema"]
        assert "error" in _schema(document, schema)["properties"]

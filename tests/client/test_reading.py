"""Tolerant reading: answer shapes the real service may use although the sandbox never does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceox_api import CeoxError, Conversation, DeviceStatus, Me, Message, User
from ceox_api.models import normalise_key
from tests.client.helpers import Recorder, answer, mock_async_client, mock_client

USER = {"id": 7, "name": "Budi", "email": "budi@acme.co", "role_id": 2, "inbox_ids": [1, 2]}


def test_extra_fields_are_ignored() -> None:
    body = [USER | {"nickname": "bud", "preferences": {"theme": "dark"}}]
    with mock_client(answer(body)) as client:
        [user] = client.users.list()
    assert user == User(**USER)
    assert not hasattr(user, "nickname")


def test_missing_optional_fields_take_defaults() -> None:
    with mock_client(answer([{"id": 3}])) as client:
        [user] = client.users.list()
    assert (user.name, user.email, user.role_id, user.inbox_ids, user.created_at) == ("", "", None, [], None)


def test_null_reads_like_a_missing_field() -> None:
    with mock_client(answer([{"id": 3, "name": None, "inbox_ids": None, "last_seen_at": None}])) as client:
        [user] = client.users.list()
    assert (user.name, user.inbox_ids, user.last_seen_at) == ("", [], None)


@pytest.mark.parametrize(
    "keys",
    [
        {"id": "ID", "device_id": "DeviceID", "contact_name": "ContactName", "is_group": "IsGroup"},
        {"id": "Id", "device_id": "DeviceId", "contact_name": "ContactName", "is_group": "IsGroup"},
        {"id": "id", "device_id": "deviceId", "contact_name": "contactName", "is_group": "isGroup"},
        {"id": "id", "device_id": "device_id", "contact_name": "contact_name", "is_group": "is_group"},
    ],
    ids=["PascalCase-ID", "PascalCase-Id", "camelCase", "snake_case"],
)
def test_field_names_in_any_case_style(keys: dict[str, str]) -> None:
    values = {"id": 12, "device_id": 2, "contact_name": "Budi", "is_group": True}
    body = [{keys[name]: value for name, value in values.items()}]
    with mock_client(answer(body)) as client:
        [conversation] = client.conversations.list()
    assert conversation.model_dump(include=set(values)) == values


def test_an_exact_field_name_wins_over_another_spelling() -> None:
    assert Conversation.model_validate({"id": 1, "DeviceID": 9, "device_id": 2, "deviceId": 5}).device_id == 2


_FIELDS = len(Message.model_fields)
_STYLES = {
    "snake": lambda name: name,
    "camel": lambda name: name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:]),
    "pascal": lambda name: "".join(part.title() for part in name.split("_")),
    "upper": lambda name: name.upper(),
}


@given(st.lists(st.sampled_from(sorted(_STYLES)), min_size=_FIELDS, max_size=_FIELDS))
def test_every_message_field_survives_any_mix_of_styles(styles: list[str]) -> None:
    original = Message(
        id=5,
        conversation_id=2,
        wa_message_id="3EB0AA",
        from_me=True,
        body="hi",
        media_type="image",
        media_url="/media/a.jpg",
        media_mime="image/jpeg",
        media_filename="a.jpg",
        reply_to="3EB0",
        status="read",
        sender_user_id=4,
        timestamp=datetime(2026, 6, 21, 8, 15, tzinfo=UTC),
    )
    data = json.loads(original.model_dump_json())
    renamed = {_STYLES[style](name): data[name] for style, name in zip(styles, data, strict=True)}
    assert Message.model_validate(renamed) == original


def test_normalised_keys() -> None:
    assert {normalise_key(k) for k in ("device_id", "DeviceID", "deviceId", "DeviceId", "device-id")} == {"deviceid"}


@pytest.mark.parametrize("wrapper", ["data", "items", "Data"])
def test_lists_wrapped_in_an_object(wrapper: str) -> None:
    with mock_client(answer({wrapper: [USER], "total": 1})) as client:
        assert [user.id for user in client.users.list()] == [7]


def test_a_single_object_wrapped_in_data() -> None:
    me = {"kind": "user", "user": USER, "role": {"id": 2, "name": "Agent"}, "capabilities": ["chats.send"]}
    with mock_client(answer({"data": me})) as client:
        assert client.me.get() == Me.model_validate(me)


@pytest.mark.parametrize(
    "body",
    [
        {"devices": [{"device_id": 1, "connected": True}]},
        {"Devices": [{"DeviceID": 1, "Connected": True}]},
        {"data": [{"deviceId": 1, "connected": True}]},
        [{"device_id": 1, "connected": True}],
    ],
    ids=["documented", "PascalCase", "data", "bare-list"],
)
def test_wa_status_shapes(body: object) -> None:
    with mock_client(answer(body)) as client:
        assert client.wa.status() == [DeviceStatus(device_id=1, connected=True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-21T08:15:00Z", datetime(2026, 6, 21, 8, 15, tzinfo=UTC)),
        ("2026-06-21T15:15:00+07:00", datetime(2026, 6, 21, 8, 15, tzinfo=UTC)),
        ("2026-06-21T03:15:00-05:00", datetime(2026, 6, 21, 8, 15, tzinfo=UTC)),
        ("2026-06-21T08:15:00.25Z", datetime(2026, 6, 21, 8, 15, 0, 250000, tzinfo=UTC)),
        ("2026-06-21T15:15:00.123456789+07:00", datetime(2026, 6, 21, 8, 15, 0, 123456, tzinfo=UTC)),
        ("2026-06-21T08:15:00", datetime(2026, 6, 21, 8, 15, tzinfo=UTC)),
        ("2026-06-21 08:15:00", datetime(2026, 6, 21, 8, 15, tzinfo=UTC)),
        ("", None),
    ],
    ids=["Z", "plus-offset", "minus-offset", "fraction", "nanoseconds-and-offset", "no-zone", "space", "blank"],
)
def test_timestamps_become_utc(text: str, expected: datetime | None) -> None:
    with mock_client(answer([{"id": 1, "last_message_at": text}])) as client:
        [conversation] = client.conversations.list()
    assert conversation.last_message_at == expected
    if expected is not None:
        assert conversation.last_message_at.utcoffset().total_seconds() == 0


def test_any_2xx_is_success_and_an_empty_204_is_none() -> None:
    recorder = Recorder(httpx.Response(204), httpx.Response(200, json={"ok": True}), httpx.Response(202))
    with mock_client(recorder) as client:
        assert client.conversations.read(1) is None
        assert client.conversations.read(1) is None
        assert client.webhooks.delete(3) is None


def test_an_answer_that_does_not_fit_raises_a_ceox_error_without_the_body() -> None:
    no_id = answer([{"name": "no id here", "secret_value": "s3cr3t"}])
    with mock_client(no_id) as client, pytest.raises(CeoxError) as caught:
        client.users.list()
    assert "unexpected answer to GET /users" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    with mock_client(answer("<html>not json</html>")) as client, pytest.raises(CeoxError, match="not JSON"):
        client.users.list()


async def test_the_async_client_reads_the_same_shapes() -> None:
    async with mock_async_client(answer({"items": [{"ID": 4, "Body": "hi", "FromMe": True}]})) as client:
        [message] = await client.conversations.messages(9)
    assert (message.id, message.body, message.from_me) == (4, "hi", True)

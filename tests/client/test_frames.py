"""Lists of models as DataFrames with nullable, tz-aware dtypes."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from ceox_api import Conversation, Role, User, to_frame


def test_dtypes_follow_the_fields() -> None:
    conversations = [
        Conversation(
            id=1,
            device_id=2,
            inbox_id=None,
            is_group=False,
            unread=3,
            contact_name="Budi",
            last_message_at=datetime(2026, 6, 21, 8, 15, tzinfo=UTC),
        ),
        Conversation(id=2, device_id=2, inbox_id=4, is_group=True, contact_name="Sari"),
    ]
    frame = to_frame(conversations)
    assert list(frame.columns) == list(Conversation.model_fields)
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["id"].dtype == "Int64" and frame["inbox_id"].dtype == "Int64"
    assert frame["is_group"].dtype == "boolean"
    assert str(frame["last_message_at"].dtype).startswith("datetime64") and str(frame["last_message_at"].dt.tz) == "UTC"
    assert pd.isna(frame.loc[0, "inbox_id"]) and frame.loc[1, "inbox_id"] == 4
    assert pd.isna(frame.loc[1, "last_message_at"])
    assert frame.loc[0, "last_message_at"] == pd.Timestamp("2026-06-21T08:15:00Z")
    assert frame.loc[1, "contact_name"] == "Sari"


def test_lists_stay_python_lists() -> None:
    frame = to_frame([User(id=1, inbox_ids=[1, 2]), User(id=2)])
    assert frame.loc[0, "inbox_ids"] == [1, 2] and frame.loc[1, "inbox_ids"] == []


def test_an_empty_list_with_its_model_keeps_the_columns() -> None:
    frame = to_frame([], model=Role)
    assert list(frame.columns) == list(Role.model_fields) and len(frame) == 0
    assert frame["user_count"].dtype == "Int64" and frame["is_system"].dtype == "boolean"
    assert to_frame([]).empty

"""Hand-built workspaces: conversations written as a list of (time, "in" | "out"[, agent]) events."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dashboard.analytics import INPUTS, AnalyticsSettings, Cycles, build_cycles, conversations_frame, messages_frame

UTC = AnalyticsSettings(timezone="UTC")


def ts(text: str) -> pd.Timestamp:
    """A UTC timestamp from text; naive text is UTC."""
    value = pd.Timestamp(text)
    return value.tz_localize("UTC") if value.tz is None else value.tz_convert("UTC")


class Workspace:
    def __init__(self) -> None:
        self.conversations: list[dict] = []
        self.messages: list[dict] = []
        self._next_id = 1

    def add(self, conversation_id: int, *events: tuple, status: str = "open", solved_at: str | None = None,
            device_id: int = 1, inbox_id: int | None = 1, is_group: bool = False, contact_id: int | None = None,
            contact_name: str | None = None, unread: int = 0) -> Workspace:
        self.conversations.append({
            "id": conversation_id, "contact_id": contact_id or 100 + conversation_id,
            "contact_name": contact_name or f"Contact {conversation_id}",
            "contact_phone": f"+6281{conversation_id:07d}",
            "is_group": is_group, "device_id": device_id, "device_name": f"Device {device_id}", "inbox_id": inbox_id,
            "status": status, "created_at": ts(events[0][0]) if events else None,
            "solved_at": ts(solved_at) if solved_at else None,
            "last_message_at": ts(events[-1][0]) if events else None, "unread": unread,
        })
        for event in events:
            self.message(conversation_id, *event)
        return self

    def message(self, conversation_id: int, when: str, direction: str, agent: int | None = None,
                message_id: int | None = None) -> None:
        if direction not in ("in", "out"):
            raise ValueError(direction)
        self.messages.append({"conversation_id": conversation_id, "id": message_id or self._next_id,
                              "from_me": direction == "out", "timestamp": ts(when), "sender_user_id": agent,
                              "media_type": ""})
        self._next_id += 1

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return conversations_frame(self.conversations), messages_frame(self.messages)

    def build(self, settings: AnalyticsSettings = UTC, available: Iterable[str] = INPUTS) -> Cycles:
        return build_cycles(*self.frames(), settings, available)

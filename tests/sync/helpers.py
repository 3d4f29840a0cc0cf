"""Reading a cache file's raw bytes, and threads as comparable metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ceox_api.models import Message


def file_text(path: Path) -> str:
    """Every run of 4+ text characters in the cache file and its WAL, one per line: what a reader of
    the disk could find there."""
    content = b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal")
                       if Path(f"{path}{suffix}").exists())
    runs = re.findall(rb"(?:[\x20-\x7e]|[\xc0-\xf4][\x80-\xbf]+){4,}", content)
    return "\n".join(run.decode("utf-8", "replace") for run in runs)


def thread_metadata(thread: list[Message]) -> list[tuple]:
    return [(m.id, m.from_me, pd.Timestamp(m.timestamp), m.sender_user_id, m.media_type) for m in thread]


def cached_threads(messages: pd.DataFrame) -> dict[int, list[tuple]]:
    """The messages frame as {conversation id: [(id, from_me, timestamp, sender, media type), ...]}."""
    threads: dict[int, list[tuple]] = {}
    for row in messages.itertuples(index=False):
        sender = None if pd.isna(row.sender_user_id) else int(row.sender_user_id)
        threads.setdefault(int(row.conversation_id), []).append(
            (int(row.id), bool(row.from_me), row.timestamp, sender, str(row.media_type)))
    return threads


def message_counts(messages: pd.DataFrame) -> dict[int, int]:
    return {int(k): int(v) for k, v in messages.groupby("conversation_id").size().items()}

"""The analytics definitions of docs/metrics.md written again in plain Python, over the API's own objects.

Deliberately shares nothing with `dashboard.analytics` (no numpy, no pandas, no cycle tables): one
loop per conversation, so that a test comparing the two checks the engine against the definitions,
not against itself.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ceox_api.models import Conversation, Message

GAP = timedelta(hours=24)


@dataclass(frozen=True)
class Cycle:
    conversation: Conversation
    messages: list[Message]

    @property
    def start(self) -> datetime:
        return self.messages[0].timestamp

    @property
    def inbound(self) -> bool:
        return not self.messages[0].from_me


def is_human(message: Message) -> bool:
    return message.from_me and message.sender_user_id is not None


def is_automated(message: Message) -> bool:
    return message.from_me and message.sender_user_id is None


def cycles_of(conversation: Conversation, thread: list[Message]) -> list[Cycle]:
    ordered = sorted(thread, key=lambda m: (m.timestamp, m.id))
    cycles: list[list[Message]] = []
    for previous, message in zip([None, *ordered], ordered, strict=False):
        solved = conversation.solved_at
        if (previous is None or message.timestamp - previous.timestamp > GAP
                or (solved is not None and previous.timestamp <= solved < message.timestamp)):
            cycles.append([])
        cycles[-1].append(message)
    return [Cycle(conversation, messages) for messages in cycles]


def first_reply(cycle: Cycle, automated_counts: bool) -> Message | None:
    for message in cycle.messages:
        if message.from_me and (automated_counts or is_human(message)):
            return message
    return None


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def in_range(moment: datetime, zone: ZoneInfo, start: date | None, end: date | None) -> bool:
    day = local_day(moment, zone)
    return (start is None or day >= start) and (end is None or day <= end)


@dataclass(frozen=True)
class Figures:
    count: int
    median: float | None
    within: float | None  # share of values at most the target


def figures(values: list[float], target: float) -> Figures:
    if not values:
        return Figures(0, None, None)
    return Figures(len(values), statistics.median(values), sum(v <= target for v in values) / len(values))


class Workspace:
    def __init__(self, conversations: list[Conversation], threads: dict[int, list[Message]]) -> None:
        self.conversations = conversations
        self.cycles = [c for conv in conversations for c in cycles_of(conv, threads.get(conv.id, []))]

    def response_cycles(self, zone: ZoneInfo, start: date | None = None, end: date | None = None,
                        inbox_id: int | None = None) -> list[Cycle]:
        """Customer-initiated one-to-one cycles started in the range (local dates of `zone`)."""
        return [c for c in self.cycles if c.inbound and not c.conversation.is_group
                and in_range(c.start, zone, start, end)
                and (inbox_id is None or c.conversation.inbox_id == inbox_id)]

    def frt(self, zone: ZoneInfo, *, automated_counts: bool = False, target: float = 300, **where) -> Figures:
        values = []
        for cycle in self.response_cycles(zone, **where):
            reply = first_reply(cycle, automated_counts)
            if reply is not None:
                values.append((reply.timestamp - cycle.start).total_seconds())
        return figures(values, target)

    def first_automated(self, zone: ZoneInfo, **where) -> tuple[Figures, float | None]:
        """Time to the first automated message of each cycle that got one, and their share of cycles."""
        cycles = self.response_cycles(zone, **where)
        values = [(m.timestamp - c.start).total_seconds() for c in cycles
                  for m in [next((m for m in c.messages if is_automated(m)), None)] if m is not None]
        return figures(values, 300), (len(values) / len(cycles) if cycles else None)

    def fastest_agents(self, zone: ZoneInfo, **where) -> dict[int | None, float]:
        """Median human FRT per first responder."""
        per_agent: dict[int | None, list[float]] = {}
        for cycle in self.response_cycles(zone, **where):
            reply = first_reply(cycle, automated_counts=False)
            if reply is not None:
                per_agent.setdefault(reply.sender_user_id, []).append((reply.timestamp - cycle.start).total_seconds())
        return {agent: statistics.median(values) for agent, values in per_agent.items()}

    def waiting(self, now: datetime, *, automated_counts: bool = False) -> dict[int, float]:
        """Open one-to-one conversations waiting for a reply: conversation id -> seconds waited."""
        waits = {}
        last_cycles = {}
        for cycle in self.cycles:
            last_cycles[cycle.conversation.id] = cycle  # cycles are in order within a conversation
        for conversation_id, cycle in last_cycles.items():
            conversation = cycle.conversation
            if conversation.status != "open" or conversation.is_group:
                continue
            kept = [m for m in cycle.messages if automated_counts or not is_automated(m)]
            if not kept or kept[-1].from_me:
                continue
            after = max((i for i, m in enumerate(kept) if m.from_me), default=-1) + 1
            waits[conversation_id] = max((now - kept[after].timestamp).total_seconds(), 0.0)
        return waits

    def heatmap(self, zone: ZoneInfo, start: date, end: date) -> Counter[tuple[int, int]]:
        """Inbound messages by their own local (weekday, hour), for messages on local dates in the range."""
        cells: Counter[tuple[int, int]] = Counter()
        for cycle in self.cycles:
            for message in cycle.messages:
                if not message.from_me and in_range(message.timestamp, zone, start, end):
                    local = message.timestamp.astimezone(zone)
                    cells[local.weekday(), local.hour] += 1
        return cells

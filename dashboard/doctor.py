"""What the connection doctor's findings (ceox_api.doctor) mean for this dashboard's pages.

`check(workspace)` probes through the workspace's own client (so its outbound policy applies) and
names, in plain words, each page or figure that will lack something. The report it makes, as JSON
or Markdown, holds only the structure of the service's answers (see ceox_api.doctor), so a user
can attach it to a support ticket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ceox_api.doctor import ENDPOINT, Diagnosis, Probe, diagnose
from dashboard.connection import Workspace

ALL_THERE = "Everything this dashboard needs is there."


@dataclass(frozen=True)
class Need:
    """A field a page needs: without it, `affects` (plain words) because `lack` (plain words)."""

    endpoint: str  # a ceox_api.doctor.ENDPOINTS key
    field: str
    affects: str
    lack: str
    pages: tuple[str, ...]
    # Counted when the field is only left out as a zero value too (false, 0, "", []): for texts a page
    # shows; a boolean or a count the service may leave out when it holds false or 0 is no finding.
    when_omitted: bool = False


NEEDS = (
    Need("messages", "sender_user_id", "Analytics will lack reply attribution", "messages have no sender",
         ("Analytics", "Agents", "Conversations")),
    Need("messages", "timestamp", "Analytics cannot place messages in time", "messages have no time",
         ("Analytics", "Agents", "Live board", "Conversations")),
    Need("messages", "from_me", "Analytics cannot tell replies from customer messages",
         "messages do not say who sent them", ("Analytics", "Agents", "Live board")),
    Need("conversations", "solved_at", "Analytics will lack resolution times and solved counts",
         "conversations have no solved time", ("Analytics",)),
    Need("conversations", "inbox_id", "Analytics cannot filter or split by inbox", "conversations have no inbox",
         ("Analytics", "Agents", "Live board", "Conversations")),
    Need("conversations", "last_message_at", "Refreshing analytics cannot tell which conversations changed",
         "conversations have no last-message time", ("Overview", "Conversations", "Analytics")),
    Need("conversations", "created_at", "Analytics cannot tell which periods are complete",
         "conversations have no start time", ("Analytics",)),
    Need("conversations", "status", "Every conversation will count as open", "conversations have no status",
         ("Overview", "Conversations"), when_omitted=True),
    Need("conversations", "contact_name", "Conversations will show no contact names",
         "conversations have no contact name", ("Conversations", "Live board"), when_omitted=True),
    Need("contacts", "name", "Contacts will show no names", "contacts have no name", ("Contacts",),
         when_omitted=True),
    Need("contacts", "phone", "Contacts will show no phone numbers", "contacts have no phone number",
         ("Contacts", "Send a message"), when_omitted=True),
    Need("devices", "inbox_id", "Devices will show no inbox", "devices have no inbox",
         ("Devices", "Inboxes & members")),
    Need("devices", "status", "Devices will show no state", "devices have no state", ("Devices",),
         when_omitted=True),
    Need("users", "email", "Users will show no emails", "users have no email", ("Users",), when_omitted=True),
    Need("users", "role_id", "Users will show no role", "users have no role", ("Users",)),
    Need("inboxes", "name", "Inboxes will show without names", "inboxes have no name",
         ("Inboxes & members", "Analytics"), when_omitted=True),
    Need("webhooks", "url", "Webhooks will show no address", "webhooks have no address", ("Webhooks & API keys",),
         when_omitted=True),
    Need("me", "capabilities", "A signed-in user will see only the pages everyone may see",
         "the profile lists no permissions", ("every page",)),
)

# The pages that show each endpoint's data, for when the endpoint fails or is partial.
PAGES_OF = {
    "me": ("every page",),
    "conversations": ("Overview", "Conversations", "Analytics", "Agents", "Live board"),
    "messages": ("Conversations", "Analytics", "Agents", "Live board"),
    "contacts": ("Contacts", "Send a message"),
    "devices": ("Devices", "Inboxes & members"),
    "wa_status": ("Devices", "the sidebar"),
    "inboxes": ("Inboxes & members", "Analytics", "Conversations"),
    "members": ("Inboxes & members",),
    "roles": ("Roles & capabilities", "Users"),
    "users": ("Users", "Agents"),
    "webhooks": ("Webhooks & API keys",),
}


@dataclass(frozen=True)
class Impact:
    sentence: str  # for the summary
    pages: tuple[str, ...]
    endpoint: str
    field: str = ""  # technical detail: the field, when one is missing


def _failure(probe: Probe) -> Impact:
    what = ENDPOINT[probe.key].label.lower()
    return Impact(f"{_and(PAGES_OF[probe.key])} cannot show {what}: {probe.problem}.", PAGES_OF[probe.key],
                  probe.key)


def _partial(probe: Probe) -> Impact:
    assert probe.shape is not None
    shown = f"{probe.shape.items:,} of {probe.shape.total:,}" if probe.shape.total is not None \
        else f"the first {probe.shape.items:,}"
    what = ENDPOINT[probe.key].label.lower()
    return Impact(f"{what.capitalize()} could be read only in part ({shown}): {_and(PAGES_OF[probe.key])} will "
                  "say they show a part.", PAGES_OF[probe.key], probe.key)


def _and(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def impacts(diagnosis: Diagnosis) -> list[Impact]:
    """What the dashboard will lack, worst first: failed endpoints, partial lists, missing fields."""
    probes = [p for p in diagnosis.probes if p.checked]
    found = [_failure(p) for p in probes if not p.ok]
    found += [_partial(p) for p in probes if p.ok and p.shape is not None and not p.shape.complete]
    by_key = {p.key: p for p in probes if p.ok}
    for need in NEEDS:
        probe = by_key.get(need.endpoint)
        if probe is None:
            continue
        if need.field in probe.missing or (need.when_omitted and need.field in probe.omitted):
            found.append(Impact(f"{need.affects}: {need.lack}.", need.pages, need.endpoint, need.field))
    return found


@dataclass(frozen=True)
class DoctorReport:
    diagnosis: Diagnosis
    impacts: tuple[Impact, ...]

    @property
    def healthy(self) -> bool:
        return not self.impacts

    @property
    def summary(self) -> list[str]:
        return [ALL_THERE] if self.healthy else [impact.sentence for impact in self.impacts]

    def rows(self) -> list[dict[str, Any]]:
        """One row per endpoint in plain words, for the page's table."""
        rows = []
        for p in self.diagnosis.probes:
            missing = [i.field for i in self.impacts if i.endpoint == p.key and i.field]
            rows.append({
                "what": p.label,
                "answered": "not checked" if not p.checked else "yes" if p.reachable else "no",
                "status": p.status,
                "time": f"{p.latency_ms:,.0f} ms" if p.latency_ms is not None else "",
                "read": ("" if not p.checked else "as expected" if p.ok and not missing
                         else f"lacks {len(missing)} field{'s' if len(missing) > 1 else ''} a page needs"
                         if p.ok else p.problem),
                "complete": "" if p.shape is None else "yes" if p.shape.complete else "no",
                "items": None if p.shape is None else p.shape.items,
                "note": "" if p.checked else p.problem.removeprefix("not checked: "),
            })
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary,
                "impacts": [{"sentence": i.sentence, "pages": list(i.pages), "endpoint": i.endpoint,
                             "field": i.field} for i in self.impacts],
                "diagnosis": self.diagnosis.to_dict()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        technical = self.diagnosis.to_markdown().replace("\n## ", "\n### ").split("\n", 1)[1]
        lines = [f"# CEOX Admin connection check: {self.diagnosis.address}", "", "## Summary", "",
                 *[f"- {line}" for line in self.summary], "", "## Technical details", technical]
        return "\n".join(lines)


def assess(diagnosis: Diagnosis) -> DoctorReport:
    return DoctorReport(diagnosis, tuple(impacts(diagnosis)))


def check(workspace: Workspace) -> DoctorReport:
    """Probe the workspace read-only through its own client (and outbound policy), and assess it."""
    return assess(diagnose(workspace.client))

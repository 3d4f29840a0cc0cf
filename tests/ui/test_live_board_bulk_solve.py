"""The Live board's stale waits solved in bulk: asked first, each solved through the service, the outcome
shown per conversation (a failure named beside the successes), each recorded in the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import audit
from dashboard.connection import Workspace, connect
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, assert_clean
from tests.ui.test_analytics_pages import KEEP_ONE_IN, wait_for_history

LIVE = "app_pages/live_board.py"


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Iterator[SandboxServer]:
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        with server.state.store.tx() as db:  # a quarter of the demo: a quick first sync
            where = f"conversation_id IN (SELECT id FROM conversations WHERE id % {KEEP_ONE_IN} != 0)"
            db.execute(f"DELETE FROM messages WHERE {where}")
            db.execute(f"DELETE FROM conversations WHERE id % {KEEP_ONE_IN} != 0")
        yield server


def board(workspace: Workspace) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["workspace"] = workspace
    at.run()
    at.switch_page(LIVE).run()
    wait_for_history(workspace)
    at.run()
    assert_clean(at)
    return at


def stale_table(at: AppTest) -> pd.DataFrame:
    """The stale list: the second table of waits (the first holds the active ones)."""
    tables = [d.value for d in at.dataframe if {"conversation", "waiting"} <= set(d.value.columns)]
    assert len(tables) == 2, "expected the active and the stale waits"
    return tables[1]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_stale_waits_are_solved_after_a_question_with_an_outcome_per_conversation(demo):
    workspace = connect(demo.api_url, api_key=demo.api_key, source="demo")
    at = board(workspace)
    stale = stale_table(at)
    ids = [int(text.lstrip("#")) for text in stale["conversation"]]
    assert len(ids) >= 3
    with Client(demo.api_url, api_key=demo.api_key, use_env=False) as api:
        before = {c.id: c.status for c in api.conversations.list(status="all")}
    assert {before[i] for i in ids} == {"open"}
    active = [i for i, status in before.items() if status == "open" and i not in ids]

    button(at, f"Solve these {len(ids):,} conversations…").click().run()
    assert_clean(at)
    assert any(f"Solve {len(ids):,} conversations whose customers have waited more than" in w.value
               for w in at.warning)
    with Client(demo.api_url, api_key=demo.api_key, use_env=False) as api:  # nothing is solved before the yes
        assert {c.id: c.status for c in api.conversations.list(status="all")} == before

    gone = ids[1]  # removed from the service meanwhile: its solve fails, the others go on
    with demo.state.store.tx() as db:
        db.execute("DELETE FROM messages WHERE conversation_id = ?", (gone,))
        db.execute("DELETE FROM conversations WHERE id = ?", (gone,))
    button(at, f"Solve {len(ids):,} conversations").click().run()
    assert_clean(at)

    outcome = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    assert outcome["conversation"].tolist() == [f"#{i}" for i in ids]
    rows = dict(zip(outcome["conversation"], outcome["outcome"], strict=True))
    assert rows.pop(f"#{gone}").startswith("Not solved: ")
    assert set(rows.values()) == {"Solved"}
    assert any(e.value.startswith(f"Solved {len(ids) - 1:,} of {len(ids):,} stale conversations.")
               for e in at.error)
    with Client(demo.api_url, api_key=demo.api_key, use_env=False) as api:
        after = {c.id: c.status for c in api.conversations.list(status="all")}
    assert all(after[i] == "solved" for i in ids if i != gone)
    assert all(after[i] == "open" for i in active)  # active waits are left alone
    entries = [e for e in audit.entries(workspace) if e["action"] == "conversation.solve"]
    assert sorted(e["target"] for e in entries) == sorted(f"conversation #{i}" for i in ids)
    assert sum(e["outcome"] == "ok" for e in entries) == len(ids) - 1

    # The board re-reads them: no stale wait is left, and the outcome stays until dismissed.
    at.run()
    assert_clean(at)
    assert not any(e.label.startswith("Stale:") for e in at.expander)
    button(at, "Dismiss").click().run()
    assert not [d for d in at.dataframe if "outcome" in d.value.columns]


def test_cancel_solves_nothing(demo):
    workspace = connect(demo.api_url, api_key=demo.api_key, source="demo")
    at = board(workspace)
    count = len(stale_table(at))
    button(at, f"Solve these {count:,} conversations…").click().run()
    button(at, "Cancel").click().run()
    assert_clean(at)
    assert not at.warning or not any("whose customers have waited" in w.value for w in at.warning)
    assert len(stale_table(at)) == count
    assert not [e for e in audit.entries(workspace) if e["action"] == "conversation.solve"]

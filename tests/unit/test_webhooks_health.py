"""Each webhook's health from its recent test sends and deliveries; remembered test results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ceox_api.models import Delivery
from dashboard import webhooks
from dashboard.webhooks import Attempt, TestResult, attempts_from_deliveries, attempts_from_tests, health

T0 = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))


def attempts(*outcomes: bool) -> list[Attempt]:
    """Oldest first."""
    return [Attempt(T0 + timedelta(minutes=i), ok, "delivery", "ok" if ok else "HTTP 500")
            for i, ok in enumerate(outcomes)]


def test_no_attempt_is_unknown():
    assert health([]).state == "unknown"
    assert "send a test event" in health([]).sentence


def test_all_recent_successes_are_healthy():
    state = health(attempts(True, True, True))
    assert state.state == "healthy" and state.sentence == "The last 3 attempts succeeded."


def test_three_failures_in_a_row_are_failing_and_name_the_latest_error():
    state = health(attempts(True, True, False, False, False))
    assert state.state == "failing" and "last 3 attempts failed" in state.sentence
    assert state.sentence.endswith("Latest delivery: HTTP 500")


def test_a_single_failure_is_failing_when_it_is_all_there_is():
    assert health(attempts(False)).state == "failing"
    assert health(attempts(False, False)).state == "failing"


def test_mixed_results_are_degraded():
    assert health(attempts(True, False, True)).state == "degraded"
    assert health(attempts(True, True, True, False)).state == "degraded"
    assert "latest delivery failed" in health(attempts(True, True, True, False)).sentence


def test_only_the_newest_ten_count_in_any_order():
    old_failures = attempts(*([False] * 20))
    recent = [Attempt(T0 + timedelta(hours=1, minutes=i), True, "test") for i in range(10)]
    assert health(recent[::-1] + old_failures).state == "healthy"


def test_deliveries_count_for_their_own_webhook_only():
    deliveries = [Delivery(id=1, webhook_id=1, status_code=200, time=T0),
                  Delivery(id=2, webhook_id=2, error="ConnectError: refused", time=T0),
                  Delivery(id=3, webhook_id=1, status_code=503, error="HTTP 503", time=T0 + timedelta(seconds=5)),
                  Delivery(id=4, webhook_id=1, status_code=302, time=T0 + timedelta(seconds=9))]
    mine = attempts_from_deliveries(deliveries, 1)
    assert [(a.ok, a.detail) for a in mine] == [(True, "delivered"),
                                                (False, "The receiver answered with an error (503)."),
                                                (False, "The receiver answered with an error (302).")]
    theirs = health(attempts_from_deliveries(deliveries, 2))
    assert theirs.state == "failing"
    # Plain words, not the delivery log's exception text; one attempt is "the last attempt".
    assert theirs.sentence == ("The last attempt failed. Latest delivery: Nothing is listening at that address "
                               "(connection refused).")


def test_test_results_are_remembered_per_workspace_and_webhook_newest_first_and_bounded():
    for n in range(5):
        webhooks.record_test("ws", 1, TestResult(f"2026-06-21T08:0{n}:00Z", "https://a.example", 200 + n, 10.0),
                             keep=3)
    webhooks.record_test("ws", 2, TestResult("2026-06-21T09:00:00Z", "https://b.example", error="DNS"))
    webhooks.record_test("other", 1, TestResult("2026-06-21T09:00:00Z", "https://c.example", 500, 1.0))
    assert [r.status_code for r in webhooks.recent_tests("ws", 1)] == [204, 203, 202]
    assert [r.error for r in webhooks.recent_tests("ws", 2)] == ["DNS"]
    tests = attempts_from_tests(webhooks.recent_tests("ws", 1))
    assert all(a.ok and a.source == "test" for a in tests) and tests[0].time == datetime(2026, 6, 21, 8, 4, tzinfo=UTC)
    assert health(attempts_from_tests(webhooks.recent_tests("other", 1))).state == "failing"

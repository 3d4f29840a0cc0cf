"""Finding 7: the operator password's lockout was per browser session, so a new tab started afresh, and
nothing capped how many scrypt checks ran at once.

Now wrong passwords count per client address across every session of the process, over all addresses
against a budget, and at most a few checks run at once; the pause and the lockout after five hold.
"""

from __future__ import annotations

import threading
import time

import pytest

from dashboard import gate
from tests.ui.test_gate import EVERYWHERE, PASSWORD, PASSWORD_HASH, _app, _assert_locked, _sign_in

FAST_HASH = PASSWORD_HASH  # made at the cheapest cost a hash may have


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


# Two tabs are two sessions from the same address (AppTest gives every session the same one)

def _tab(bind) -> object:
    bind(EVERYWHERE)
    return _app({"gate": {"password_hash": PASSWORD_HASH}})


def test_a_new_tab_does_not_start_afresh(bind, server_key):
    first = _tab(bind)
    for _ in range(gate.MAX_FAILURES):
        first = _sign_in(first, "guess")
    second = _sign_in(_tab(bind), PASSWORD)  # a new tab, even with the right password
    _assert_locked(second, server_key)
    assert second.error[0].value.startswith("Too many wrong passwords. Wait ")


def test_wrong_passwords_from_two_tabs_add_up(bind, server_key):
    first, second = _tab(bind), _tab(bind)
    for _ in range(gate.MAX_FAILURES - 2):
        first = _sign_in(first, "guess")
    for _ in range(2):
        second = _sign_in(second, "guess")
    assert [e.value for e in second.error] == ["Wrong password. Try again."]
    first = _sign_in(first, PASSWORD)
    _assert_locked(first, server_key)
    assert first.error[0].value.startswith("Too many wrong passwords. Wait ")


def test_a_wrong_password_still_pauses(bind, server_key, monkeypatch):
    monkeypatch.setattr(gate, "FAILURE_DELAY_SECONDS", 0.5)
    at = _tab(bind)
    started = time.monotonic()
    at = _sign_in(at, "guess")
    assert time.monotonic() - started >= 0.5
    assert [e.value for e in at.error] == ["Wrong password. Try again."]


# Per address, and over all addresses

def test_addresses_are_counted_apart():
    clock = Clock()
    guard = gate.Guard(clock=clock)
    for _ in range(gate.MAX_FAILURES):
        assert guard.check("203.0.113.7", "guess", FAST_HASH).kind == "wrong"
    assert guard.check("203.0.113.7", PASSWORD, FAST_HASH).kind == "wait"
    assert guard.check("198.51.100.2", PASSWORD, FAST_HASH).kind == "passed"
    clock.now += gate.LOCKOUT_SECONDS
    assert guard.check("203.0.113.7", PASSWORD, FAST_HASH).kind == "passed"


def test_a_locked_address_is_not_checked_at_all():
    clock = Clock()
    guard = gate.Guard(clock=clock)
    for _ in range(gate.MAX_FAILURES):
        guard.check("203.0.113.7", "guess", FAST_HASH)
    verdict = guard.check("203.0.113.7", PASSWORD, FAST_HASH)
    assert verdict == gate.Verdict("wait", gate.LOCKOUT_SECONDS)


def test_the_global_budget_makes_everyone_wait():
    """Many addresses (a botnet, or a forged header behind a proxy) each stay under the lockout."""
    clock = Clock()
    guard = gate.Guard(clock=clock)
    for n in range(gate.GLOBAL_MAX_FAILURES):
        assert guard.check(f"203.0.113.{n}", "guess", FAST_HASH).kind == "wrong"
        clock.now += 1
    verdict = guard.check("198.51.100.2", PASSWORD, FAST_HASH)  # a new address, the right password
    assert verdict.kind == "wait"
    assert verdict.wait_seconds == gate.GLOBAL_WINDOW_SECONDS - gate.GLOBAL_MAX_FAILURES
    clock.now += verdict.wait_seconds
    assert guard.check("198.51.100.2", PASSWORD, FAST_HASH).kind == "passed"


def test_failures_are_forgotten_after_a_quiet_while():
    clock = Clock()
    guard = gate.Guard(clock=clock)
    for _ in range(gate.MAX_FAILURES - 1):
        guard.check("203.0.113.7", "guess", FAST_HASH)
    clock.now += gate.FORGET_SECONDS
    guard.check("198.51.100.2", "guess", FAST_HASH)  # any failure sweeps the forgotten ones
    assert guard.check("203.0.113.7", "guess", FAST_HASH).kind == "wrong"
    assert guard.check("203.0.113.7", PASSWORD, FAST_HASH).kind == "passed"


# At most a few checks at once

def test_checks_beyond_the_cap_are_refused_as_busy_not_queued():
    slow_hash = gate.hash_password(PASSWORD, n=2**16)  # 64 MiB and a few tenths of a second per check
    guard = gate.Guard(max_concurrent_checks=2)
    start = threading.Barrier(8)
    verdicts: list[str] = []

    def attempt(n: int) -> None:
        start.wait()
        verdicts.append(guard.check(f"203.0.113.{n}", "guess", slow_hash).kind)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(set(verdicts)) == ["busy", "wrong"] and len(verdicts) == 8
    assert verdicts.count("wrong") < 8
    assert guard.check("198.51.100.2", PASSWORD, slow_hash).kind == "passed"  # the slots were given back


# Which address a client has

@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    ("203.0.113.7", [], False, "203.0.113.7"),
    ("203.0.113.7", ["198.51.100.9"], False, "203.0.113.7"),  # no proxy declared: the header is the client's
    (None, [], False, gate.NO_ADDRESS),  # this machine
    ("10.0.0.2", ["198.51.100.9"], True, "198.51.100.9"),
    ("10.0.0.2", ["1.2.3.4, 198.51.100.9"], True, "198.51.100.9"),  # what the client wrote comes first
    ("10.0.0.2", ["1.2.3.4", "198.51.100.9"], True, "198.51.100.9"),
    ("10.0.0.2", [], True, "10.0.0.2"),
    ("10.0.0.2", ["not an address"], True, gate.NO_ADDRESS),
    ("2001:db8:1:2:aaaa::1", [], False, "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", [], False, "2001:db8:1:2::/64"),  # one /64, one count
    ("::ffff:203.0.113.7", [], False, "203.0.113.7"),
    (12345, [None], True, gate.NO_ADDRESS),
])
def test_client_address(peer, forwarded, trusted, expected):
    assert gate.client_address(peer, forwarded, trusted_proxy=trusted) == expected


def test_forged_forwarded_for_does_not_escape_the_lockout_without_a_declared_proxy():
    guard = gate.Guard(clock=Clock())
    for n in range(gate.MAX_FAILURES):
        client = gate.client_address("203.0.113.7", [f"198.51.100.{n}"], trusted_proxy=False)
        guard.check(client, "guess", FAST_HASH)
    client = gate.client_address("203.0.113.7", ["198.51.100.200"], trusted_proxy=False)
    assert guard.check(client, PASSWORD, FAST_HASH).kind == "wait"


def test_trusted_proxy_is_read_from_the_gate_section():
    section = {"password_hash": PASSWORD_HASH, "trusted_proxy": True}
    assert gate.decide(EVERYWHERE, server_credential=True, gate=section).trusted_proxy
    for value in (None, "true", 1):
        section = {"password_hash": PASSWORD_HASH, "trusted_proxy": value}
        assert not gate.decide(EVERYWHERE, server_credential=True, gate=section).trusted_proxy

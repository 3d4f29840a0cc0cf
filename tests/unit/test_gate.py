"""The access gate's decision (who must sign in, and how) and the operator password's hashing."""

from __future__ import annotations

import hmac

import pytest

from dashboard import gate

EVERYWHERE = "0.0.0.0"  # noqa: S104 (an address to judge, nothing binds to it)
FAST_N = gate.MIN_SCRYPT_N  # the cheapest cost a hash may have, to keep these tests quick
PASSWORD = "correct horse battery staple"
OIDC = {"redirect_uri": "https://admin.example.org/oauth2callback", "cookie_secret": "s" * 32,
        "client_id": "ceox-admin", "client_secret": "oidc-secret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}


@pytest.fixture(scope="module")
def password_hash() -> str:
    return gate.hash_password(PASSWORD, n=FAST_N)


# Loopback detection

@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "localhost",
                                     "LOCALHOST", "localhost.", " 127.0.0.1 ", "::ffff:127.0.0.1"])
def test_loopback_addresses(address):
    assert gate.is_loopback(address)


@pytest.mark.parametrize("address", [None, "", "  ", EVERYWHERE, "::", "10.0.0.5", "192.168.1.20", "128.0.0.1",
                                     "admin.example.org", "localhost.example.org", "my-localhost", "::2",
                                     "fe80::1", "127.0.0.1.nip.io"])
def test_addresses_reachable_from_elsewhere(address):
    assert not gate.is_loopback(address)


# Who must sign in

@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_no_gate_on_loopback_even_with_a_server_credential(address, password_hash):
    assert gate.decide(address, server_credential=True, gate={"password_hash": password_hash}).kind == "open"
    assert gate.decide(address, server_credential=True).kind == "open"


@pytest.mark.parametrize("address", [None, "", EVERYWHERE, "10.0.0.5"])
def test_a_public_address_is_gated_without_a_server_credential_too(address, password_hash):
    """Visitors could otherwise make the server send requests for them (tests/security/test_gate_public.py)."""
    assert gate.decide(address, server_credential=False).kind == "refuse"
    assert gate.decide(address, server_credential=False, gate={"password_hash": password_hash}).kind == "password"
    assert gate.decide(address, server_credential=False, gate={"public": True}).kind == "public"


@pytest.mark.parametrize("address", [None, "", EVERYWHERE, "10.0.0.5", "::"])
def test_public_address_with_a_server_credential_and_nothing_configured_refuses(address):
    decision = gate.decide(address, server_credential=True, auth=None, gate=None)
    assert decision.kind == "refuse"
    assert "neither single sign-on" in decision.problems[0]


def test_operator_password_gate(password_hash):
    decision = gate.decide(EVERYWHERE, server_credential=True, gate={"password_hash": password_hash})
    assert decision.kind == "password" and decision.password_hash == password_hash
    assert password_hash not in repr(decision)


def test_oidc_gate_is_preferred_to_the_password(password_hash):
    decision = gate.decide(EVERYWHERE, server_credential=True, auth=OIDC, gate={"password_hash": password_hash})
    assert decision.kind == "oidc" and decision.providers == ("default",)


def test_named_oidc_providers():
    shared = {key: OIDC[key] for key in gate.OIDC_SHARED_KEYS}
    provider = {key: OIDC[key] for key in gate.OIDC_PROVIDER_KEYS}
    auth = {**shared, "google": provider, "okta": {**provider, "client_kwargs": {"prompt": "login"}}}
    assert gate.decide("", server_credential=True, auth=auth).providers == ("google", "okta")


@pytest.mark.parametrize(("auth", "problem"), [
    ({k: v for k, v in OIDC.items() if k != "cookie_secret"}, "[auth] lacks cookie_secret"),
    ({k: v for k, v in OIDC.items() if k != "client_secret"}, "[auth] lacks client_secret"),
    ({"redirect_uri": OIDC["redirect_uri"], "cookie_secret": "x" * 32}, "[auth] names no provider"),
    ({"redirect_uri": OIDC["redirect_uri"], "cookie_secret": "x" * 32, "my_idp": {"client_id": "a"}},
     "[auth.my_idp] lacks client_secret, server_metadata_url"),
])
def test_incomplete_oidc_refuses_and_says_what_is_missing(auth, problem):
    decision = gate.decide("10.0.0.5", server_credential=True, auth=auth)
    assert decision.kind == "refuse"
    assert any(p.startswith(problem) for p in decision.problems), decision.problems


def test_incomplete_oidc_falls_back_to_a_configured_password(password_hash):
    auth = {k: v for k, v in OIDC.items() if k != "cookie_secret"}
    decision = gate.decide("10.0.0.5", server_credential=True, auth=auth, gate={"password_hash": password_hash})
    assert decision.kind == "password"


@pytest.mark.parametrize("bad", ["", "hunter2", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                                 "scrypt$16384$8$1$c2FsdA$a2V5", "scrypt$1000$8$1$" + "A" * 22 + "$" + "A" * 43,
                                 "scrypt$x$8$1$AAAA$AAAA", "pbkdf2$1$2$3$4$5"])
def test_an_unusable_password_hash_refuses_rather_than_falls_open(bad):
    decision = gate.decide(EVERYWHERE, server_credential=True, gate={"password_hash": bad})
    assert decision.kind == "refuse"
    assert "[gate] password_hash is not usable" in decision.problems[0]


def test_gate_required_on_loopback_when_asked(password_hash):
    """Behind a reverse proxy on the same machine the bind address is loopback but visitors are not."""
    decision = gate.decide("127.0.0.1", server_credential=True, gate={"require": True, "password_hash": password_hash})
    assert decision.kind == "password"
    assert gate.decide("127.0.0.1", server_credential=False, gate={"require": True}).kind == "refuse"
    assert gate.decide("127.0.0.1", server_credential=True, gate={"require": "yes"}).kind == "open"


def test_fingerprint_changes_with_the_password(password_hash):
    first = gate.decide("", server_credential=True, gate={"password_hash": password_hash})
    second = gate.decide("", server_credential=True, gate={"password_hash": gate.hash_password("other", n=FAST_N)})
    assert first.fingerprint != second.fingerprint
    again = gate.decide("", server_credential=True, gate={"password_hash": password_hash})
    assert first.fingerprint == again.fingerprint


# OIDC identities

@pytest.mark.parametrize(("user", "allowed", "ok"), [
    ({"is_logged_in": True, "email": "ops@example.org"}, (), True),
    ({"is_logged_in": True, "email": "Ops@Example.org", "email_verified": True}, ("ops@example.org",), True),
    ({"is_logged_in": True, "email": "anyone@example.org", "email_verified": "true"}, ("@example.org",), True),
    ({"is_logged_in": True, "email": "someone@gmail.com"}, ("@example.org", "ops@example.org"), False),
    ({"is_logged_in": True, "email": "ops@example.org.evil.com"}, ("@example.org",), False),
    ({"is_logged_in": True, "email": "ops@example.org", "email_verified": False}, ("ops@example.org",), False),
    ({"is_logged_in": True}, ("@example.org",), False),
    ({"is_logged_in": False, "email": "ops@example.org"}, (), False),
    ({}, (), False),
])
def test_identity_allowed(user, allowed, ok):
    assert gate.identity_allowed(user, allowed) is ok


def test_allowed_emails_are_read_from_the_gate_section():
    decision = gate.decide("", server_credential=True, auth=OIDC,
                           gate={"allowed_emails": ["Ops@Example.org", "@example.org"]})
    assert decision.allowed_emails == ("ops@example.org", "@example.org")
    for broken in ("ops@example.org", [], ["ops"], {"ops": "@example.org"}):
        decision = gate.decide("", server_credential=True, auth=OIDC, gate={"allowed_emails": broken})
        assert decision.kind == "refuse" and "allowed_emails" in decision.problems[0]


# The operator password

def test_hash_is_salted_and_verifies(password_hash):
    assert password_hash.startswith(f"scrypt${FAST_N}$8$1$")
    assert PASSWORD not in password_hash
    assert gate.hash_password(PASSWORD, n=FAST_N) != password_hash  # a fresh salt every time
    assert gate.verify_password(PASSWORD, password_hash)


def test_default_cost():
    assert gate.hash_password("x").split("$")[1] == str(gate.SCRYPT_N)


@pytest.mark.parametrize("attempt", ["", " ", PASSWORD + " ", PASSWORD.upper(), PASSWORD[:-1], "x" * 10_000,
                                     PASSWORD + "\x00", PASSWORD + "\x00\x00", "\x00", "' OR 1=1 --", "😀" * 50])
def test_wrong_empty_and_huge_passwords_are_refused(password_hash, attempt):
    assert not gate.verify_password(attempt, password_hash)


@pytest.mark.parametrize("attempt", [None, b"bytes", 12345])
def test_non_text_is_refused(password_hash, attempt):
    assert not gate.verify_password(attempt, password_hash)


def test_unicode_passwords_compare_normalized():
    composed, decomposed = "caf\u00e9-sécurité", "cafe\u0301-se\u0301curite\u0301"
    assert gate.verify_password(decomposed, gate.hash_password(composed, n=FAST_N))


def test_verification_compares_in_constant_time(password_hash, monkeypatch):
    calls = []
    compare = hmac.compare_digest

    def spy(a, b):
        calls.append((type(a), type(b)))
        return compare(a, b)

    monkeypatch.setattr(gate.hmac, "compare_digest", spy)
    assert gate.verify_password(PASSWORD, password_hash)
    assert not gate.verify_password("wrong", password_hash)
    assert calls == [(bytes, bytes), (bytes, bytes)]


@pytest.mark.parametrize("bad", ["", "scrypt", "nonsense", "scrypt$16384$8$1$!!$!!", None])
def test_verification_against_a_broken_hash_is_false(bad):
    assert not gate.verify_password(PASSWORD, bad)


@pytest.mark.parametrize("bad", ["", "x" * (gate.MAX_PASSWORD_CHARS + 1), "tab\there", "nul\x00"])
def test_hash_refuses_empty_huge_and_control_characters(bad):
    with pytest.raises(ValueError):
        gate.hash_password(bad, n=FAST_N)


# Guessing: per client address (tests/security/test_gate_lockout.py covers the sharing and the budget)

def test_lockout_after_repeated_failures():
    attempts = gate.Attempts()
    for second in range(gate.MAX_FAILURES - 1):
        attempts.failed(now=100.0 + second)
        assert attempts.wait(now=100.0 + second) == 0
    attempts.failed(now=110.0)
    assert attempts.wait(now=110.0) == gate.LOCKOUT_SECONDS
    assert attempts.wait(now=110.0 + gate.LOCKOUT_SECONDS / 2) == gate.LOCKOUT_SECONDS / 2
    assert attempts.wait(now=110.0 + gate.LOCKOUT_SECONDS) == 0
    attempts.failed(now=200.0)  # after the lockout, a new round of tries
    assert attempts.wait(now=200.0) == 0


# `python -m dashboard.gate hash`

def test_command_prints_a_verifiable_secrets_line(monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(gate.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(gate, "SCRYPT_N", FAST_N)
    monkeypatch.setattr(gate.hash_password, "__kwdefaults__", {"n": FAST_N, "salt": None})
    assert gate.main(["hash"]) == 0
    out = capsys.readouterr().out
    assert "[gate]" in out and PASSWORD not in out
    line = next(line for line in out.splitlines() if line.startswith("password_hash = "))
    assert gate.verify_password(PASSWORD, line.split('"')[1])


@pytest.mark.parametrize(("first", "second", "message"), [
    (PASSWORD, PASSWORD + "!", "differ"), ("short", "short", "12 to 1024 characters")])
def test_command_refuses_mismatch_and_short_passwords(monkeypatch, capsys, first, second, message):
    answers = iter([first, second])
    monkeypatch.setattr(gate.getpass, "getpass", lambda prompt="": next(answers))
    assert gate.main(["hash"]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and "password_hash" not in captured.out

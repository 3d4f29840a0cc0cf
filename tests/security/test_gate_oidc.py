"""Finding 8: the OIDC allow-list let in an email the provider had not verified (`email_verified` absent,
or the text "false"). Only an explicit yes counts now; Microsoft Entra, which sends no `email_verified`,
is allowed by tenant id (`[gate] allowed_tenants`, matched against the `tid` claim)."""

from __future__ import annotations

import pytest

from dashboard import gate
from tests.ui.test_gate import EVERYWHERE, OIDC, _app, _assert_locked

ALLOWED = ("@example.org",)
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OPS = {"is_logged_in": True, "email": "ops@example.org"}


@pytest.mark.parametrize("verified", [None, False, "false", "False", "", "no", 0, 1, "1", "yes", [], {}])
def test_an_unverified_email_is_refused(verified):
    user = OPS if verified is None else {**OPS, "email_verified": verified}
    assert not gate.identity_allowed(user, ALLOWED)


@pytest.mark.parametrize("verified", [True, "true", "TRUE", " true "])
def test_a_verified_email_is_let_in(verified):
    assert gate.identity_allowed({**OPS, "email_verified": verified}, ALLOWED)


def test_entra_is_let_in_by_tenant_not_by_its_unverified_email():
    entra = {"is_logged_in": True, "email": "ops@example.org", "tid": TENANT.upper()}  # no email_verified
    assert gate.identity_allowed(entra, ALLOWED, (TENANT,))
    assert not gate.identity_allowed(entra, ALLOWED, ())
    assert not gate.identity_allowed({**entra, "tid": "00000000-0000-0000-0000-000000000000"}, ALLOWED, (TENANT,))
    assert not gate.identity_allowed({**entra, "is_logged_in": False}, (), (TENANT,))


def test_tenants_alone_let_in_nobody_else():
    assert not gate.identity_allowed({**OPS, "email_verified": True}, (), (TENANT,))


def test_allowed_tenants_are_read_from_the_gate_section():
    decision = gate.decide(EVERYWHERE, server_credential=True, auth=OIDC, gate={"allowed_tenants": [TENANT.upper()]})
    assert decision.kind == "oidc" and decision.allowed_tenants == (TENANT,)
    for broken in (TENANT, [], [""], ["not a tenant!"], {"t": TENANT}):
        decision = gate.decide(EVERYWHERE, server_credential=True, auth=OIDC, gate={"allowed_tenants": broken})
        assert decision.kind == "refuse" and "allowed_tenants" in decision.problems[0]


@pytest.mark.parametrize("claims", [{}, {"email_verified": "false"}])
def test_an_unverified_account_is_turned_away_on_the_page(bind, server_key, claims):
    bind(EVERYWHERE)
    at = _app({"auth": OIDC, "gate": {"allowed_emails": list(ALLOWED)}}, user={**OPS, **claims})
    _assert_locked(at, server_key)
    assert "may not use this dashboard" in at.error[0].value


def test_an_entra_account_of_an_allowed_tenant_opens_the_dashboard(bind, server_key):
    bind(EVERYWHERE)
    at = _app({"auth": OIDC, "gate": {"allowed_tenants": [TENANT]}}, user={**OPS, "tid": TENANT})
    assert at.session_state["workspace"].source == "server"

"""Safety rails: which saves are refused, which need the signed-in user's typed confirmation, which pass."""

from __future__ import annotations

from dashboard.lockout import MANAGE_ROLES, MANAGE_USERS, Team, judge, team_after_roles, team_after_users

ADMIN, LEAD, AGENT = 1, 2, 3
ME, OTHER, THIRD = 10, 11, 12
TEAM = Team(roles={ADMIN: frozenset({MANAGE_ROLES, MANAGE_USERS}), LEAD: frozenset({MANAGE_USERS}),
                   AGENT: frozenset({"chats.send"})},
            users={ME: ADMIN, OTHER: LEAD, THIRD: AGENT})


def test_unticking_roles_manage_from_the_last_role_that_has_it_is_refused():
    after = team_after_roles(TEAM, {ADMIN: {MANAGE_USERS}}, deleted=())
    verdict = judge(TEAM, after, me=None, page_capability=MANAGE_ROLES)
    assert len(verdict.refusals) == 1 and "change roles" in verdict.refusals[0]
    assert not verdict.own_losses


def test_moving_roles_manage_to_another_role_in_the_same_save_is_allowed():
    after = team_after_roles(TEAM, {ADMIN: {MANAGE_USERS}, LEAD: {MANAGE_USERS, MANAGE_ROLES}}, deleted=())
    assert judge(TEAM, after, me=None, page_capability=MANAGE_ROLES).clear


def test_deleting_or_demoting_the_last_user_who_manages_users_is_refused():
    only_me = Team(TEAM.roles, {ME: ADMIN, THIRD: AGENT})
    for after in (team_after_users(only_me, {}, deleted={ME}), team_after_users(only_me, {ME: AGENT}, deleted=())):
        verdict = judge(only_me, after, me=None, page_capability=MANAGE_USERS)
        assert len(verdict.refusals) == 1 and "manage users" in verdict.refusals[0]
    # Unticking users.manage from every role that has it, on the roles page, is refused too.
    after = team_after_roles(TEAM, {ADMIN: {MANAGE_ROLES}, LEAD: set()}, deleted=())
    assert any("manage users" in r for r in judge(TEAM, after, me=None, page_capability=MANAGE_ROLES).refusals)


def test_the_signed_in_user_losing_the_page_must_confirm_while_others_still_can():
    demoted = team_after_users(TEAM, {ME: AGENT}, deleted=())  # OTHER (Lead) still manages users
    verdict = judge(TEAM, demoted, me=ME, page_capability=MANAGE_USERS)
    assert not verdict.refusals and len(verdict.own_losses) == 1 and "your role" in verdict.own_losses[0]
    deleted = judge(TEAM, team_after_users(TEAM, {}, deleted={ME}), me=ME, page_capability=MANAGE_USERS)
    assert "your user would be deleted" in deleted.own_losses[0]
    # Someone else's demotion concerns nobody's own access; an API key never loses any.
    assert judge(TEAM, team_after_users(TEAM, {OTHER: AGENT}, deleted=()), me=ME, page_capability=MANAGE_USERS).clear
    assert not judge(TEAM, demoted, me=None, page_capability=MANAGE_USERS).own_losses


def test_a_workspace_that_never_had_the_capability_is_not_refused_anything():
    bare = Team({AGENT: frozenset()}, {THIRD: AGENT})
    assert judge(bare, team_after_users(bare, {}, deleted={THIRD}), me=None, page_capability=MANAGE_USERS).clear

"""Safety rails: saves that would lock the workspace, or the person saving, out of an admin page.

Two kinds, judged on the workspace as it is now and as a planned save would leave it:

- `refusals`: the save would leave no role holding `roles.manage`, or no user able to manage users
  (when some role or user could before). Nobody could undo that from the dashboard signed in as a
  user, so the save is refused with the reason.
- `own_losses`: the signed-in user would lose the capability of the page being edited (or be
  deleted). Legitimate, but easy to do by accident: the page asks for a typed confirmation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from ceox_api.models import Role, User
from dashboard.capabilities import Capability

MANAGE_ROLES = Capability.ROLES_MANAGE
MANAGE_USERS = Capability.USERS_MANAGE


@dataclass(frozen=True)
class Team:
    """Who holds what: each role's capabilities, and each user's role (by role id)."""

    roles: Mapping[int, frozenset[str]]
    users: Mapping[int, int]

    @classmethod
    def of(cls, roles: Iterable[Role], users: Iterable[User]) -> Team:
        return cls({r.id: frozenset(r.capabilities) for r in roles}, {u.id: u.role_id for u in users})

    def roles_with(self, capability: str) -> set[int]:
        return {role for role, held in self.roles.items() if capability in held}

    def users_with(self, capability: str) -> set[int]:
        return {user for user, role in self.users.items() if capability in self.roles.get(role, frozenset())}

    def user_can(self, user_id: int, capability: str) -> bool:
        return user_id in self.users_with(capability)


@dataclass(frozen=True)
class Verdict:
    refusals: list[str] = field(default_factory=list)
    own_losses: list[str] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return not self.refusals and not self.own_losses


def judge(before: Team, after: Team, me: int | None, page_capability: str,
          labels: Mapping[str, str] | None = None) -> Verdict:
    """What stands in the way of turning `before` into `after`. `me` is the signed-in user's id (None for
    an API key, which keeps full access whatever roles say); `page_capability` the page's own."""
    labels = labels or {}
    refusals, own = [], []
    if before.roles_with(MANAGE_ROLES) and not after.roles_with(MANAGE_ROLES):
        refusals.append(f"No role would have “{labels.get(MANAGE_ROLES, MANAGE_ROLES)}” any more, so nobody "
                        "could change roles again from the dashboard. Keep it ticked on at least one role.")
    if before.users_with(MANAGE_USERS) and not after.users_with(MANAGE_USERS):
        refusals.append(f"No user would be able to manage users any more (“{labels.get(MANAGE_USERS, MANAGE_USERS)}”"
                        "), so nobody could add, edit or delete users again. Keep at least one user with a role "
                        "that has it.")
    if me is not None and before.user_can(me, page_capability) and not after.user_can(me, page_capability):
        why = "your user would be deleted" if me not in after.users else (
            f"your role would no longer have “{labels.get(page_capability, page_capability)}”")
        own.append(f"You would lose access to this page: {why}. The save would take effect at once and you "
                   "could not undo it yourself.")
    return Verdict(refusals, own)


def team_after_roles(before: Team, capabilities: Mapping[int, Collection[str]], deleted: Collection[int],
                     created: Iterable[Collection[str]] = ()) -> Team:
    """`before` with these roles' capabilities replaced, these roles deleted and new roles with these
    capabilities (and no users yet) added; users keep their role ids."""
    roles = {role: frozenset(capabilities.get(role, held))
             for role, held in before.roles.items() if role not in deleted}
    roles.update({-number: frozenset(held) for number, held in enumerate(created, 1)})
    return Team(roles, before.users)


def team_after_users(before: Team, roles_of: Mapping[int, int], deleted: Collection[int]) -> Team:
    """`before` with these users given these roles and these users deleted (new users are left out: a user
    added in the same save cannot stand in for the one who manages users now)."""
    users = {user: roles_of.get(user, role) for user, role in before.users.items() if user not in deleted}
    return Team(before.roles, users)

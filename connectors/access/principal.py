"""A principal as access control sees it: who they are, their team and their territory.

Worked out from the org (:mod:`connectors.access.org`) and the policy
(:mod:`connectors.access.policy`) for one email address: the accounts they own, those where
they are on an open deal's team and, for a manager, their reports' territories, recursively.
Someone the org does not know has no territory at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.access.org import Org
from connectors.access.policy import TERRITORY_RULE, AccessPolicy
from connectors.access.refusal import NoAccess, refusal_text


@dataclass(frozen=True)
class AccessPrincipal:
    """What one person may see. ``team`` is them and everyone who reports to them;
    ``sees_all`` the systems whose records of every account their roles may read."""

    email: str
    name: str
    roles: tuple[str, ...]
    team: frozenset[str]
    territory: frozenset[str]
    sees_all: frozenset[str]
    org: Org
    policy: AccessPolicy

    @property
    def manager(self) -> bool:
        return self.policy.manager_role in self.roles

    def may_read(self, account_id: str | None, system: str) -> bool:
        """Whether they may read ``system``'s records of the account (None: a record no
        account is known for, readable only to a role that sees the whole system)."""
        if system in self.sees_all:
            return True
        return account_id is not None and account_id in self.territory

    def may_see_any(self, account_id: str) -> bool:
        """Whether they may see anything at all of the account (in some system)."""
        return account_id in self.territory or bool(self.sees_all)

    def may_write(self, account_id: str) -> bool:
        """Whether a write on the account may run for them: only in their territory."""
        return account_id in self.territory

    def may_see_amounts(self, account_id: str | None, system: str) -> bool:
        """Whether ``system``'s amounts on the account are theirs to see."""
        rules = self.policy.amounts
        if system not in rules.systems or any(r in self.roles for r in rules.roles):
            return True
        if account_id is None:
            return False
        if self.org.owners.get(account_id) == self.email:
            return True
        return rules.managers and self.manager and account_id in self.territory

    def refusal(self, account_id: str, system: str | None = None) -> NoAccess:
        """The error that tells them they may not see the account, and whose it is."""
        text = refusal_text(self.org, account_id)
        return NoAccess(account_id, text, rule=TERRITORY_RULE, system=system)


def principal_of(org: Org, policy: AccessPolicy, email: str) -> AccessPrincipal:
    """What ``email`` may see, by ``policy``, in ``org``."""
    who = email.strip().lower()
    person = org.person(who)
    roles = person.roles if person is not None else ()
    team = frozenset({who})
    if person is not None and policy.territory.reports and policy.manager_role in roles:
        team |= {p.email for p in org.reports_of(who)}
    rules = policy.territory
    territory = (org.owned_by(team) if rules.own_accounts else frozenset()) | (
        org.on_deals_of(team) if rules.open_deals else frozenset()
    )
    return AccessPrincipal(
        email=who,
        name=person.name if person is not None else who,
        roles=roles,
        team=team if person is not None else frozenset(),
        territory=territory if person is not None else frozenset(),
        sees_all=policy.systems_seen_by(roles, who),
        org=org,
        policy=policy,
    )

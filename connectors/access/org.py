"""Who is who at the seller, as access control needs it: each person's roles and manager, who
owns each customer account and who is on the team of each account's open deals.

A connector reads it from its systems (the demo world: :class:`connectors.demo.org.DemoOrg`);
the access layer reads it again whenever a cached principal expires, so a change in the CRM
takes effect without a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Person:
    """A person at the seller: ``email`` in lower case."""

    email: str
    name: str
    roles: tuple[str, ...] = ()
    manager_email: str | None = None


@dataclass(frozen=True)
class Org:
    """One reading of the org chart and of who works on which account (emails lower case)."""

    people: Mapping[str, Person]
    account_names: Mapping[str, str]  # account id -> its name
    owners: Mapping[str, str]  # account id -> owner's email
    deal_teams: Mapping[str, frozenset[str]] = field(default_factory=dict)  # open deals only
    domains: Mapping[str, str] = field(default_factory=dict)  # email domain -> account id

    def person(self, email: str) -> Person | None:
        return self.people.get(email.strip().lower())

    def name_of(self, email: str) -> str:
        person = self.person(email)
        return person.name if person is not None else email

    def reports_of(self, email: str) -> Iterator[Person]:
        """Everyone who reports to ``email``, directly or not (each once, cycles ignored)."""
        seen = {email.strip().lower()}
        pending = [email.strip().lower()]
        while pending:
            boss = pending.pop()
            for person in self.people.values():
                manager = (person.manager_email or "").lower()
                if manager == boss and person.email not in seen:
                    seen.add(person.email)
                    pending.append(person.email)
                    yield person

    def accounts_of(self, addresses: Iterable[str]) -> frozenset[str]:
        """The customer accounts whose domains the email ``addresses`` are on."""
        found = (self.domains.get(a.rpartition("@")[2].strip().lower()) for a in addresses)
        return frozenset(a for a in found if a is not None)

    def owned_by(self, emails: frozenset[str]) -> frozenset[str]:
        """The accounts any of ``emails`` owns."""
        return frozenset(a for a, owner in self.owners.items() if owner in emails)

    def on_deals_of(self, emails: frozenset[str]) -> frozenset[str]:
        """The accounts where any of ``emails`` is on an open deal's team."""
        return frozenset(a for a, team in self.deal_teams.items() if team & emails)


class OrgSource(Protocol):
    """Where the org chart and account ownership come from (a connector implements it)."""

    async def org(self) -> Org:
        """The current reading; raises a transient operation error when the system is down."""

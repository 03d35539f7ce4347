"""The cast of the demo world: Northwind's staff and its customers with their people.

Every other generator reads these records, so a customer's owner, contacts, tier and renewal
date agree across all systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Final

from connectors.demo.names import (
    COMPANIES,
    CONTACT_TITLES,
    EMPLOYEES,
    FIRST_NAMES,
    LAST_NAMES,
    SALES_REPS,
    SELLER_DOMAIN,
    STORY_OWNER,
    WEBINAR_PROSPECTS,
    Profile,
)

Row = dict[str, object]
Rows = dict[str, list[Row]]

ACME_PEOPLE: Final = (
    ("Alex Morgan", "Chief Technology Officer"),
    ("Jamie Ortiz", "VP of Operations"),
    ("Chris Novak", "Procurement Manager"),
)
_TIERS: Final = (("Starter", 12_000, 36_000), ("Growth", 40_000, 120_000))
_ENTERPRISE: Final = ("Enterprise", 150_000, 400_000)


@dataclass(frozen=True)
class Person:
    """Someone with a name, an email address and a job title."""

    name: str
    email: str
    title: str


@dataclass(frozen=True)
class Company:
    """A customer (or prospect) of Northwind Labs as the CRM knows it, plus its commercial facts."""

    id: str
    name: str
    domain: str
    industry: str
    profile: Profile
    owner: Person
    contacts: tuple[Person, ...]
    tier: str
    annual_value: float
    renewal_in_days: int
    # Written by hand by a story module (its deals, activities, threads); the random
    # generators give it only its CRM account and contacts.
    scripted: bool = False

    @property
    def is_customer(self) -> bool:
        return self.profile in ("story", "healthy", "at_risk")


def email_of(name: str, domain: str) -> str:
    """``first.last@domain`` in lower case."""
    return f"{name.lower().replace(' ', '.')}@{domain}"


def employees() -> tuple[Person, ...]:
    """Northwind Labs' staff as people."""
    return tuple(Person(n, email_of(n, SELLER_DOMAIN), t) for n, t, _ in EMPLOYEES)


def at(today: date, days: int, hour: int, minute: int = 0) -> datetime:
    """The UTC instant ``days`` after ``today`` (negative: before) at ``hour:minute``."""
    return datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=UTC)


def build_companies(seed: int) -> tuple[Company, ...]:
    """All customer accounts, deterministic for a seed; Acme Corporation comes first."""
    rng = Random(f"{seed}:companies")
    reps = {p.name: p for p in employees()}
    drawn = tuple(_company(i, row, rng, _owner(i, row[3], reps)) for i, row in enumerate(COMPANIES))
    return drawn + _webinar_prospects(len(drawn), reps[STORY_OWNER])


def _webinar_prospects(first: int, owner: Person) -> tuple[Company, ...]:
    """The follow-up story's prospects: fixed people, nothing drawn at random."""
    return tuple(
        Company(
            id=f"acct-{first + i + 1:04d}",
            name=name,
            domain=domain,
            industry=industry,
            profile="prospect",
            owner=owner,
            contacts=tuple(Person(n, email_of(n, domain), t) for n, t in people),
            tier="Growth",
            annual_value=float(48_000 + 12_000 * i),
            renewal_in_days=365,
            scripted=True,
        )
        for i, (name, domain, industry, people) in enumerate(WEBINAR_PROSPECTS)
    )


def _owner(index: int, profile: Profile, reps: dict[str, Person]) -> Person:
    if profile == "story":
        return reps[STORY_OWNER]
    return reps[SALES_REPS[index % len(SALES_REPS)][0]]


def _company(index: int, row: tuple[str, str, str, Profile], rng: Random, owner: Person) -> Company:
    name, domain, industry, profile = row
    tier, low, high = (
        _ENTERPRISE if profile == "story" or rng.random() < 0.3 else rng.choice(_TIERS)
    )
    value = 240_000.0 if profile == "story" else float(rng.randrange(low, high, 500))
    renewal = {"story": 14, "at_risk": rng.randint(25, 120)}.get(profile, rng.randint(20, 330))
    return Company(
        id=f"acct-{index + 1:04d}",
        name=name,
        domain=domain,
        industry=industry,
        profile=profile,
        owner=owner,
        contacts=_contacts(domain, rng, ACME_PEOPLE if profile == "story" else ()),
        tier=tier,
        annual_value=value,
        renewal_in_days=renewal,
    )


def _contacts(domain: str, rng: Random, fixed: tuple[tuple[str, str], ...]) -> tuple[Person, ...]:
    people = [Person(n, email_of(n, domain), t) for n, t in fixed]
    wanted = rng.randint(7, 9)
    while len(people) < wanted:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if all(p.name != name for p in people):
            people.append(Person(name, email_of(name, domain), rng.choice(CONTACT_TITLES)))
    return tuple(people)

"""The access policy: who may see which customer accounts, and which of their amounts.

One TOML file (the packaged ``policy.toml`` unless ``CROSSWIRE_ACCESS_FILE`` names another),
read once at start. The policy only says what counts; who owns what, who is on which deal and
who reports to whom come from the company's systems (:mod:`connectors.access.org`), read again
whenever a cached principal expires (:mod:`connectors.access.principals`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflows.policy_files import PolicySource, first_problem

TERRITORY_RULE = "territory"
AMOUNTS_RULE = "amounts"


class AccessPolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the problem."""


_FILE = PolicySource(
    "access policy file",
    "connectors.access",
    "policy.toml",
    "the packaged access policy.toml",
    AccessPolicyError,
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TerritoryRules(_Model):
    """What makes an account part of a person's territory."""

    own_accounts: bool = True
    open_deals: bool = True
    reports: bool = True


class SeeAll(_Model):
    """A role that reads one or more systems' records of every account."""

    role: str = Field(min_length=1)
    systems: tuple[str, ...] = Field(min_length=1)
    why: str = Field(min_length=1)


class Service(_Model):
    """One of Crosswire's own readers, which acts for nobody in particular (the scheduler
    reads every calendar to find whom to brief; each briefing then runs as its attendee)."""

    requester: str = Field(min_length=1)
    systems: tuple[str, ...] = Field(min_length=1)


class AmountRules(_Model):
    """Whose amounts are withheld, and from whom not."""

    systems: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    managers: bool = True
    why: str = "Amounts are for the account owner and managers"


class AccessPolicy(_Model):
    """The rules of one access policy file."""

    ttl_seconds: float = Field(default=300, gt=0)
    manager_role: str = "manager"
    territory: TerritoryRules = TerritoryRules()
    see_all: tuple[SeeAll, ...] = ()
    service: tuple[Service, ...] = ()
    amounts: AmountRules = AmountRules()
    source: str = Field(default="policy", exclude=True)

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self.ttl_seconds)

    def systems_seen_by(self, roles: tuple[str, ...], requester: str = "") -> frozenset[str]:
        """The systems whose records of every account ``roles`` (or the service that
        ``requester`` names) may read."""
        found = {s for rule in self.see_all if rule.role in roles for s in rule.systems}
        found |= {s for svc in self.service if svc.requester == requester for s in svc.systems}
        return frozenset(found)

    @classmethod
    def load(cls, path: Path | None = None) -> AccessPolicy:
        """The policy in ``path`` (None: the packaged demo defaults); raises
        :class:`AccessPolicyError` naming the file and what is wrong with it."""
        text, source = _FILE.read(path)
        return cls.parse(text, source=source)

    @classmethod
    def parse(cls, text: str, *, source: str) -> AccessPolicy:
        data = _FILE.table(text, source=source)
        try:
            return cls.model_validate({**data, "source": source})
        except ValidationError as exc:
            raise AccessPolicyError(f"{source}: {first_problem(exc)}") from None

"""What the context builder answers: one typed, bounded context for one objective.

Everything in it came from the run's step outputs (what the access layer let through for the
requester), grouped by the system that said it, with the fields two systems disagree on settled
by precedence and what the size budget left out counted.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CHARS_PER_TOKEN = 4
"""A rough estimate for English text and JSON with Claude's tokenizer: about four characters a
token. The budget is kept in characters, exactly, and reported as estimated tokens too."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Budget(_Model):
    """How large the context may be, in characters of its facts' JSON."""

    chars: int = Field(default=40_000, ge=200)

    @classmethod
    def tokens(cls, tokens: int) -> Budget:
        """A budget of about ``tokens`` tokens (:data:`CHARS_PER_TOKEN` characters each)."""
        return cls(chars=tokens * CHARS_PER_TOKEN)


class EntityRef(_Model):
    """The customer the context is about, as the identity graph links it: its id, name and
    the record it has in each system."""

    account_id: str
    name: str
    domain: str | None = None
    records: dict[str, str] = Field(default_factory=dict)


class ContextFact(_Model):
    """One record (or one part of a record) a step read: ``about`` says where in the step's
    output it is (``account.open_deals[0]``), ``fields`` its values; ``relevance`` how much it
    bears on the objective (higher first)."""

    step: str
    about: str
    fields: dict[str, Any]
    relevance: float = 0.0

    def size(self) -> int:
        """Its size in the context, in characters of compact JSON."""
        return len(self.model_dump_json(exclude={"relevance"}))


class SystemRecords(_Model):
    """What one system knows: its display name, the entity's record in it (if linked), the
    steps that read it and the facts kept; ``dropped`` facts did not fit the budget."""

    system: str
    source: str
    record: str | None = None
    steps: tuple[str, ...] = ()
    facts: tuple[ContextFact, ...] = ()
    dropped: int = 0


class Reported(_Model):
    """One system's value of a settled field, and the step it was read in."""

    system: str
    source: str
    value: str
    step: str


class SettledField(_Model):
    """A field more than one system holds: the value that wins by precedence, whose it is,
    and the systems that disagree; ``note`` says so in words ("Contracts says 2027-03-01;
    CRM disagrees (2027-02-16)")."""

    field: str
    label: str
    winner: Reported
    dissent: tuple[Reported, ...] = ()
    note: str

    @property
    def disputed(self) -> bool:
        return bool(self.dissent)


class Gap(_Model):
    """A step that has no output to give: what it would have read, and why not."""

    step: str
    system: str
    source: str
    status: str
    error: str


class Dropped(_Model):
    """What the budget left out: facts and their characters, by system."""

    facts: int = 0
    chars: int = 0
    by_system: dict[str, int] = Field(default_factory=dict)


class EntityContext(_Model):
    """One objective's context: for whom, about what, what each system knows, the settled
    fields, the gaps, how many amounts the requester may not see, and the budget's account."""

    objective: str
    principal: str
    entity: EntityRef | None = None
    systems: tuple[SystemRecords, ...] = ()
    settled: tuple[SettledField, ...] = ()
    gaps: tuple[Gap, ...] = ()
    withheld_amounts: int = 0
    budget_chars: int
    used_chars: int = 0
    dropped: Dropped = Dropped()

    @property
    def estimated_tokens(self) -> int:
        return -(-self.used_chars // CHARS_PER_TOKEN)

    @property
    def disputed(self) -> tuple[SettledField, ...]:
        return tuple(s for s in self.settled if s.disputed)

    def facts(self) -> list[ContextFact]:
        return [f for s in self.systems for f in s.facts]

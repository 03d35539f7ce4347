"""What the resolution engine reads: one record as one system holds it, and the manual
verdicts ("same" / "not same") that win over the model."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["person", "company"]
Verdict = Literal["same", "not_same"]
RecordKey = tuple[str, str]
"""``(system, record_id)``: a record's identity across the whole engine."""


class Record(BaseModel):
    """A person or a company as one system knows it. Every field but the identity is optional:
    a mailbox may know a company only by its domain, a ticket a person only by an email.

    For a company, ``name`` is its name; for a person, ``name`` is theirs and ``company_name``
    their employer's. ``dates`` are named dates (``{"birth": ...}``), ``identifiers`` named
    ids (``{"vat": ...}``) that agree only when exactly equal under the same name."""

    model_config = ConfigDict(frozen=True)

    system: str = Field(min_length=1)
    record_id: str = Field(min_length=1)
    kind: Kind
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    domain: str | None = None
    company_name: str | None = None
    address: str | None = None
    dates: dict[str, date] = Field(default_factory=dict)
    identifiers: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> RecordKey:
        """``(system, record_id)``."""
        return (self.system, self.record_id)


class Override(BaseModel):
    """A person's verdict on two records: ``same`` (must-link) or ``not_same`` (cannot-link).
    Applied before clustering; the model's opinion of the pair is then ignored."""

    model_config = ConfigDict(frozen=True)

    left: RecordKey
    right: RecordKey
    verdict: Verdict

    @model_validator(mode="after")
    def _distinct(self) -> Override:
        if self.left == self.right:
            raise ValueError("an override needs two different records")
        return self

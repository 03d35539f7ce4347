"""What a connector gives the identity layer: its people and company records, and what
changed since a cursor (:class:`IdentitySource`).

A source speaks in resolution :class:`~connectors.resolution.Record` s with a little more the
directory needs: which company a person belongs to in the same system (``parent``), who owns
a company account (``owner``), and which system's companies are the accounts everyone else
links to (``account_system``, the CRM). The identity graph is built from
:meth:`IdentitySource.records` once and refreshed from :meth:`IdentitySource.changed_since`.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from connectors.resolution import Record, RecordKey
from workflows.domain import Employee


class SourceRecord(BaseModel):
    """One record of a system with what the directory needs besides its fields."""

    model_config = ConfigDict(frozen=True)

    record: Record
    parent: RecordKey | None = None
    owner: str | None = None

    @property
    def key(self) -> RecordKey:
        return self.record.key

    def dumped(self) -> bytes:
        """The record as JSON, fields in their declared order and those at their defaults
        left out: what the graph stores (made in Rust: a build dumps every record)."""
        return _TO_JSON(self, exclude_defaults=True)


_TO_JSON = SourceRecord.__pydantic_serializer__.to_json


class SourceSnapshot(BaseModel):
    """Every record of every system the source holds, its employees, and a cursor to ask
    :meth:`IdentitySource.changed_since` with."""

    model_config = ConfigDict(frozen=True)

    records: tuple[SourceRecord, ...]
    employees: tuple[Employee, ...]
    account_system: str
    cursor: str


class SourceChanges(BaseModel):
    """What changed since a cursor: records new or changed (``records``; a source that cannot
    tell which of a system's records changed lists them all and names the system in
    ``complete``, whose other records are then gone), records removed, the employees when
    they changed, and the cursor to ask with next."""

    model_config = ConfigDict(frozen=True)

    records: tuple[SourceRecord, ...] = ()
    removed: tuple[RecordKey, ...] = ()
    complete: frozenset[str] = frozenset()
    employees: tuple[Employee, ...] | None = None
    cursor: str

    @property
    def empty(self) -> bool:
        return not (self.records or self.removed or self.complete or self.employees is not None)


class IdentitySource(Protocol):
    """A connector's records for the identity layer."""

    async def records(self) -> SourceSnapshot:
        """Every record, now."""
        ...

    async def changed_since(self, cursor: str) -> SourceChanges:
        """What changed since ``cursor`` (from a snapshot or an earlier change set)."""
        ...

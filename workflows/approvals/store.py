"""Approvals on the audit database: written once, changed only by compare-and-set.

:meth:`ApprovalStore.create` is idempotent (a replayed step finds the row it wrote). A
decision, an escalation and an expiry are each one ``UPDATE … WHERE`` on the row's current
state, so when two people click at once, or two replicas sweep at once, exactly one wins and
every other caller is handed the row as the winner left it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from workflows.approvals.models import PREVIEW_PREFIX, Approval, ApprovalItem, MessageRef
from workflows.audit.tables import approvals
from workflows.sanitise import scrubbed

_TIME_FIELDS = ("created_at", "expires_at", "decided_at")


class ApprovalStore:
    """The persisted approvals (SQLite or PostgreSQL, the audit store's engine)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, approval: Approval) -> Approval:
        """Insert ``approval`` unless its id is there; return the stored row either way."""
        dialect: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(self.engine.dialect.name)
        statement = (
            dialect.insert(approvals).on_conflict_do_nothing() if dialect else insert(approvals)
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement.values(**_row(approval)))
            return await _must(conn, approval.id)

    async def get(self, approval_id: str) -> Approval | None:
        async with self.engine.connect() as conn:
            return await _fetch(conn, approval_id)

    async def add_messages(self, approval_id: str, refs: tuple[MessageRef, ...]) -> Approval:
        """Note posted copies of the approval (each copy once, however often it is noted)."""
        async with self.engine.begin() as conn:
            current = await _locked(conn, approval_id)
            merged = (*current.messages, *(r for r in refs if r not in current.messages))
            if len(merged) != len(current.messages):
                values = {"messages": [m.model_dump(mode="json") for m in _unique(merged)]}
                await conn.execute(_where(approval_id).values(**values))
            return await _must(conn, approval_id)

    async def decide(
        self,
        approval_id: str,
        *,
        status: Literal["approved", "rejected"],
        by_email: str,
        by_name: str,
        at: datetime,
        reason: str | None,
        approved: tuple[ApprovalItem, ...],
        approved_fingerprint: str | None,
    ) -> tuple[bool, Approval]:
        """Record a decision if the approval is still pending and not past its expiry at
        ``at``: returns whether this call won, and the row as it now is."""
        values = {
            "status": status,
            "decided_by": by_email,
            "decided_by_name": by_name,
            "decided_at": _utc(at),
            "reason": reason,
            "approved": [i.model_dump(mode="json") for i in approved],
            "approved_fingerprint": approved_fingerprint,
        }
        statement = (
            _where(approval_id)
            .where(approvals.c.status == "pending", approvals.c.expires_at > _utc(at))
            .values(**scrubbed(values))
        )
        return await self._swap(approval_id, statement)

    async def escalate(
        self,
        approval_id: str,
        *,
        from_level: int,
        added: tuple[str, ...],
        expires_at: datetime,
        at: datetime,
    ) -> tuple[bool, Approval]:
        """Widen a pending approval at ``from_level`` to ``added`` approvers with a new expiry
        (level + 1); returns whether this call won, and the row as it now is."""
        async with self.engine.begin() as conn:
            current = await _locked(conn, approval_id)
            if not current.open or current.level != from_level:
                return False, current
            approvers = list(dict.fromkeys((*current.approvers, *added)))
            statement = (
                _where(approval_id)
                .where(approvals.c.status == "pending", approvals.c.level == from_level)
                .values(level=from_level + 1, approvers=approvers, expires_at=_utc(expires_at))
            )
            won = (await conn.execute(statement)).rowcount == 1
            return won, await _must(conn, approval_id)

    async def expire(self, approval_id: str, *, at: datetime) -> tuple[bool, Approval]:
        """Mark a pending approval whose expiry has passed at ``at`` as expired."""
        statement = (
            _where(approval_id)
            .where(approvals.c.status == "pending", approvals.c.expires_at <= _utc(at))
            .values(status="expired", decided_at=_utc(at))
        )
        return await self._swap(approval_id, statement)

    async def due(self, now: datetime) -> list[Approval]:
        """Pending approvals whose expiry has passed, oldest expiry first."""
        query = (
            select(approvals)
            .where(approvals.c.status == "pending", approvals.c.expires_at <= _utc(now))
            .order_by(approvals.c.expires_at)
        )
        return await self._many(query)

    async def waiting_on(self, run_id: str) -> list[Approval]:
        """The run's pending approvals (a run waits for one at a time)."""
        query = select(approvals).where(
            approvals.c.run_id == run_id, approvals.c.status == "pending"
        )
        return await self._many(query)

    async def waiting_for(self, email: str) -> list[Approval]:
        """Pending approvals ``email`` is one of the approvers of, newest first (plan
        previews are not listed: they wait in their requester's thread)."""
        who = email.strip().lower()
        query = select(approvals).where(approvals.c.status == "pending", _not_preview())
        pending = await self._many(query.order_by(approvals.c.created_at.desc()))
        return [a for a in pending if who in (e.lower() for e in a.approvers)]

    async def requested_by(self, email: str, *, limit: int = 50) -> list[Approval]:
        """Approvals ``email`` asked for, newest first (no plan previews)."""
        query = (
            select(approvals)
            .where(approvals.c.requester_email == email.strip().lower(), _not_preview())
            .order_by(approvals.c.created_at.desc())
            .limit(limit)
        )
        return await self._many(query)

    async def states(self, ids: list[str]) -> dict[str, tuple[str, int]]:
        """Each approval's (status, level), for those of ``ids`` that exist: one query."""
        if not ids:
            return {}
        query = select(approvals.c.id, approvals.c.status, approvals.c.level).where(
            approvals.c.id.in_(ids)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(r.id): (str(r.status), int(r.level)) for r in rows}

    async def recent(self, limit: int = 50) -> list[Approval]:
        """The newest approvals, whatever their status (no plan previews)."""
        query = (
            select(approvals)
            .where(_not_preview())
            .order_by(approvals.c.created_at.desc())
            .limit(limit)
        )
        return await self._many(query)

    async def _swap(self, approval_id: str, statement: Any) -> tuple[bool, Approval]:
        async with self.engine.begin() as conn:
            won = (await conn.execute(statement)).rowcount == 1
            return won, await _must(conn, approval_id)

    async def _many(self, query: Any) -> list[Approval]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_approval(r) for r in rows]


def _not_preview() -> Any:
    return approvals.c.id.not_like(f"{PREVIEW_PREFIX}%")


def _where(approval_id: str) -> Any:
    return update(approvals).where(approvals.c.id == approval_id)


async def _locked(conn: AsyncConnection, approval_id: str) -> Approval:
    """The row, after taking its write lock (a no-op update): on SQLite this makes the
    transaction a writer before it reads, so a concurrent writer waits instead of failing."""
    await conn.execute(_where(approval_id).values(id=approvals.c.id))
    return await _must(conn, approval_id)


async def _fetch(conn: AsyncConnection, approval_id: str) -> Approval | None:
    query = select(approvals).where(approvals.c.id == approval_id)
    row = (await conn.execute(query)).mappings().first()
    return _approval(row) if row is not None else None


async def _must(conn: AsyncConnection, approval_id: str) -> Approval:
    found = await _fetch(conn, approval_id)
    if found is None:
        raise KeyError(f"no approval {approval_id!r}")
    return found


def _row(approval: Approval) -> dict[str, Any]:
    data = approval.model_dump(mode="json")
    row = {k: v for k, v in data.items() if k not in _TIME_FIELDS}
    row["requester_email"] = approval.requester_email.lower()
    for name in _TIME_FIELDS:
        moment = getattr(approval, name)
        row[name] = _utc(moment) if moment is not None else None
    clean: dict[str, Any] = scrubbed(row)
    return clean


def _approval(row: Any) -> Approval:
    data = dict(row)
    for name in _TIME_FIELDS:
        if data[name] is not None:
            data[name] = _utc(data[name])
    return Approval.model_validate(data)


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite keeps times without a zone, so every time stored is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _unique(refs: tuple[MessageRef, ...]) -> tuple[MessageRef, ...]:
    return tuple(dict.fromkeys(refs))

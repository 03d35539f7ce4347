"""Writing and reading the audit record.

Every write is keyed (``event_key``) and inserted with "on conflict do nothing", so a step that
runs twice after a crash records once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from workflows.audit.records import AuditEvent, RunDetail, RunStatus, RunSummary
from workflows.audit.tables import events, metadata, runs
from workflows.models import RunRequest
from workflows.results import StepResult


def create_engine_for(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and its folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(conn: Any, _: Any) -> None:
        cursor = conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class AuditStore:
    """The append-only audit record of runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @classmethod
    async def open(cls, url: str) -> AuditStore:
        store = cls(create_engine_for(url))
        async with store.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return store

    async def close(self) -> None:
        await self.engine.dispose()

    # ------------------------------------------------------------------ writes

    async def run_started(self, request: RunRequest, *, planner: str) -> None:
        obj = request.objective
        row = {
            "run_id": request.run_id,
            "created_at": obj.received_at,
            "trigger": obj.trigger,
            "trigger_id": obj.trigger_id,
            "requester_email": request.principal.email,
            "requester_slack_id": request.principal.slack_user_id,
            "channel": obj.reply.channel,
            "objective": obj.text,
            "planner": planner,
            "status": "running",
        }
        await self._insert_once(runs, row, "run_id")
        await self.record(
            request.run_id,
            "trigger",
            detail={
                "trigger": obj.trigger,
                "trigger_id": obj.trigger_id,
                "objective": obj.text,
                "requester": request.principal.email,
                "channel": obj.reply.channel,
            },
        )

    async def plan_recorded(
        self, run_id: str, *, workflow: str | None, subject: str | None, detail: dict[str, Any]
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(workflow=workflow, subject=subject)
            )
        await self.record(run_id, "plan", detail=detail)

    async def step_recorded(self, run_id: str, result: StepResult) -> None:
        await self.record(
            run_id,
            "step",
            step_id=result.step_id,
            operation=result.operation,
            system=result.system,
            status=result.status,
            duration_ms=result.duration_ms,
            detail={
                "error": result.error,
                "failure": result.failure,
                "attempts": result.attempts,
                "started_at": result.started_at.isoformat(),
            },
        )

    async def run_finished(self, run_id: str, *, status: RunStatus, answer: dict[str, Any]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status=status, answer_kind=answer.get("kind"), finished_at=datetime.now(UTC)
                )
            )
        await self.record(run_id, "answer", status=status, detail=answer)

    async def record(
        self,
        run_id: str,
        kind: str,
        *,
        step_id: str | None = None,
        key: str | None = None,
        operation: str | None = None,
        system: str | None = None,
        status: str | None = None,
        duration_ms: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one event; ``key`` (default: run, kind and step) makes it idempotent."""
        row = {
            "event_key": key or f"{run_id}:{kind}:{step_id or ''}",
            "run_id": run_id,
            "at": datetime.now(UTC),
            "kind": kind,
            "step_id": step_id,
            "operation": operation,
            "system": system,
            "status": status,
            "duration_ms": duration_ms,
            "detail": detail or {},
        }
        await self._insert_once(events, row, "event_key")

    async def _insert_once(self, table: Any, row: dict[str, Any], unique: str) -> None:
        if self._dialect == "postgresql":
            stmt: Any = postgresql.insert(table).values(row).on_conflict_do_nothing()
        elif self._dialect == "sqlite":
            stmt = sqlite.insert(table).values(row).on_conflict_do_nothing()
        else:
            stmt = insert(table).values(row)
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    # ------------------------------------------------------------------ reads

    async def list_runs(self, *, limit: int = 20) -> list[RunSummary]:
        query = select(runs).order_by(runs.c.created_at.desc()).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_summary(r) for r in rows]

    async def get_run(self, run_id: str) -> RunDetail | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(runs).where(runs.c.run_id == run_id))).mappings()
            found = row.first()
            if found is None:
                return None
            query = select(events).where(events.c.run_id == run_id).order_by(events.c.id)
            rows = (await conn.execute(query)).mappings().all()
        return RunDetail(
            run=_summary(found),
            channel=found["channel"],
            requester_slack_id=found["requester_slack_id"],
            planner=found["planner"],
            events=[AuditEvent.model_validate(dict(r)) for r in rows],
        )

    async def find_runs(self, prefix: str) -> list[str]:
        """Run ids starting with ``prefix`` (so people can type a short id)."""
        query = select(runs.c.run_id).where(runs.c.run_id.startswith(prefix)).limit(5)
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).scalars())


def _summary(row: Any) -> RunSummary:
    return RunSummary.model_validate({k: row[k] for k in RunSummary.model_fields})

"""Writing and reading the audit record.

Every write is keyed (``event_key``) and inserted with "on conflict do nothing", so a step that
runs twice after a crash records once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from workflows.audit.records import (
    AuditEvent,
    DeliveryStatus,
    RunDetail,
    RunStatus,
    RunSummary,
)
from workflows.audit.redaction import SHAPES_ONLY
from workflows.audit.sqlite_writes import SqliteWrites
from workflows.audit.tables import events, metadata, runs
from workflows.clock import Clock, SystemClock
from workflows.database_url import audit_url
from workflows.models import RunRequest
from workflows.results import ItemResult, StepResult
from workflows.sanitise import scrubbed


def create_engine_for(url: str) -> AsyncEngine:
    """An async engine for ``url`` in any form :mod:`workflows.database_url` accepts (the async
    driver is chosen here); SQLite gets WAL, a busy timeout and its folder created."""
    url = audit_url(url)
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

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self._dialect = engine.dialect.name
        self._inserts: dict[str, Any] = {}
        # On SQLite the writes skip aiosqlite's hop per call (see sqlite_writes).
        self._sqlite = SqliteWrites(engine.url) if self._dialect == "sqlite" else None

    @classmethod
    async def open(cls, url: str, *, clock: Clock | None = None) -> AuditStore:
        """The store on ``url``, its tables created; events are stamped by ``clock``."""
        store = cls(create_engine_for(url), clock)
        async with store.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return store

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        await self.engine.dispose()

    # ------------------------------------------------------------------ writes
    # Each method is one transaction: on SQLite writers queue for one lock, so fewer is faster.

    async def run_started(self, request: RunRequest, *, planner: str) -> None:
        await self._write(
            self._once(runs, [_run_row(request, planner)]),
            self._once(events, [_trigger_row(request, self.clock.now())]),
        )

    async def run_planned(
        self,
        request: RunRequest,
        *,
        planner: str,
        workflow: str | None,
        subject: str | None,
        detail: dict[str, Any],
    ) -> None:
        """The run's row, its trigger and its plan (or the notice that replaced one)."""
        row = {**_run_row(request, planner), "workflow": workflow, "subject": subject}
        now = self.clock.now()
        plan = event_row(request.run_id, "plan", at=now, detail=detail)
        await self._write(
            self._once(runs, [row]), self._once(events, [_trigger_row(request, now), plan])
        )

    async def run_finished(
        self,
        run_id: str,
        *,
        status: RunStatus,
        answer: dict[str, Any],
        steps: list[StepResult] | None = None,
        delivery: DeliveryStatus | None = None,
        delivery_error: str | None = None,
    ) -> None:
        """The outcome, every step the run ran, and whether its answer reached the
        requester (``delivery``, with the chat system's reason when it did not), in one
        transaction.

        Steps are recorded with the outcome rather than one by one: a step's result is
        durable in its checkpoint from the moment it finishes, and writing rows while the
        run's other steps are still checkpointing slows every run down."""
        now = self.clock.now()
        done = {"status": status, "answer_kind": answer.get("kind"), "finished_at": now}
        rows = [_step_row(run_id, r, now) for r in steps or []]
        if delivery is not None:
            reason = {"error": delivery_error} if delivery_error else {}
            rows.append(event_row(run_id, "delivery", at=now, status=delivery, detail=reason))
        rows.append(event_row(run_id, "answer", at=now, status=status, detail=answer))
        await self._write(
            update(runs).where(runs.c.run_id == run_id).values(**scrubbed(done)),
            self._once(events, rows),
        )

    async def record(
        self,
        run_id: str,
        kind: str,
        *,
        key: str | None = None,
        detail: dict[str, Any] | None = None,
        step_id: str | None = None,
        status: str | None = None,
        operation: str | None = None,
        system: str | None = None,
    ) -> None:
        """Append one event; ``key`` (default: run, kind and step) makes it idempotent."""
        row = event_row(
            run_id,
            kind,
            at=self.clock.now(),
            key=key,
            detail=detail,
            step_id=step_id,
            status=status,
            operation=operation,
            system=system,
        )
        await self._write(self._once(events, [row]))

    async def actions_done(self, run_id: str, result: StepResult) -> None:
        """A write step's outcome, with one "action" event per call (its idempotency key,
        what came of it), in one transaction: recorded with the write itself."""
        now = self.clock.now()
        calls = result.items or (
            ItemResult(
                index=0,
                status=result.status,
                output=result.output,
                error=result.error,
                idempotency_key=f"{run_id}:{result.step_id}",
            ),
        )
        rows = [_step_row(run_id, result, now)]
        for call in calls:
            output = call.output if isinstance(call.output, dict) else {}
            outcome = (
                "failed" if not call.ok else "duplicate" if output.get("duplicate") else "done"
            )
            rows.append(
                event_row(
                    run_id,
                    "action",
                    at=now,
                    key=f"{run_id}:action:{result.step_id}:{call.index}",
                    step_id=result.step_id,
                    status=outcome,
                    operation=result.operation,
                    system=result.system,
                    detail={
                        "step_id": result.step_id,
                        "operation": result.operation,
                        "system": result.system,
                        "item": call.index if result.items else None,
                        "idempotency_key": call.idempotency_key or output.get("idempotency_key"),
                        "outcome": outcome,
                        "error": call.error,
                    },
                )
            )
        await self._write(self._once(events, rows))

    async def record_many(self, rows: list[dict[str, Any]]) -> None:
        """Append several events (built with :func:`event_row`) in one transaction."""
        if rows:
            await self._write(self._once(events, rows))

    def _once(self, table: Any, rows: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
        """An insert that skips rows whose unique key is already there, with its rows.

        The statement is built once per table and run with the rows as parameters, so
        SQLAlchemy compiles it once (a multi-row VALUES clause would compile every time)."""
        statement = self._inserts.get(table.name)
        if statement is None:
            dialect: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(self._dialect)
            statement = dialect.insert(table).on_conflict_do_nothing() if dialect else insert(table)
            self._inserts[table.name] = statement
        # PostgreSQL refuses NUL in text: a record must never fail on what someone typed.
        return statement, scrubbed(rows)

    async def _write(self, *statements: Any) -> None:
        if self._sqlite is not None:
            await self._sqlite.run(statements)
            return
        async with self.engine.begin() as conn:
            for statement in statements:
                if isinstance(statement, tuple):
                    await conn.execute(*statement)
                else:
                    await conn.execute(statement)

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


def event_row(
    run_id: str,
    kind: str,
    *,
    at: datetime,
    step_id: str | None = None,
    key: str | None = None,
    status: str | None = None,
    detail: dict[str, Any] | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """One audit event; its key (run, kind, step) makes writing it twice write it once."""
    return {
        "event_key": key or f"{run_id}:{kind}:{step_id or ''}",
        "run_id": run_id,
        "at": at,
        "kind": kind,
        "step_id": step_id,
        "operation": columns.get("operation"),
        "system": columns.get("system"),
        "status": status,
        "duration_ms": columns.get("duration_ms"),
        # Tokens never reach the record, even when someone pastes one into a request.
        "detail": SHAPES_ONLY.value(detail or {}),
    }


def _run_row(request: RunRequest, planner: str) -> dict[str, Any]:
    obj = request.objective
    return {
        "run_id": request.run_id,
        "created_at": obj.received_at,
        "trigger": obj.trigger,
        "trigger_id": obj.trigger_id,
        "requester_email": request.principal.email,
        "requester_slack_id": request.principal.slack_user_id,
        "channel": obj.reply.channel,
        "objective": SHAPES_ONLY.text(obj.text),
        "planner": planner,
        "status": "running",
        "workflow": None,
        "subject": None,
    }


def _trigger_row(request: RunRequest, at: datetime) -> dict[str, Any]:
    obj = request.objective
    return event_row(
        request.run_id,
        "trigger",
        at=at,
        detail={
            "trigger": obj.trigger,
            "trigger_id": obj.trigger_id,
            "objective": obj.text,
            "requester": request.principal.email,
            "channel": obj.reply.channel,
        },
    )


def _step_row(run_id: str, result: StepResult, at: datetime) -> dict[str, Any]:
    return event_row(
        run_id,
        "step",
        at=at,
        step_id=result.step_id,
        status=result.status,
        operation=result.operation,
        system=result.system,
        duration_ms=result.duration_ms,
        detail={
            "error": result.error,
            "failure": result.failure,
            "attempts": result.attempts,
            "started_at": result.started_at.isoformat(),
        },
    )


def _summary(row: Any) -> RunSummary:
    return RunSummary.model_validate({k: row[k] for k in RunSummary.model_fields})

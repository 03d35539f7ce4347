"""Writes that reach people: send an email, log a CRM activity, hold a slot, create a task.

Each acts once per idempotency key (:func:`connectors.demo.ops_base.once`) and records the
run that asked. Sending an email cannot be taken back; the others have compensating writes
that take their output (remove the activity, release the hold, cancel the task).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Literal

from pydantic import AwareDatetime, Field
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import Input, asked_by, once, record_id, write_operation
from connectors.demo.schema import crm_accounts
from connectors.demo.store import DemoRead, DemoWorld
from connectors.demo.writes import calendar_holds, crm_logged_activities, outbox, tasks
from connectors.errors import RecordNotFound
from workflows.catalog import AnyOperation, CallContext, Risk
from workflows.domain import CalendarHold, LoggedActivity, SentEmail, TaskRecord, Undone

EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Field(pattern=EMAIL_PATTERN, max_length=254)


class SendEmailInput(Input):
    to: str = Email
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    account_id: str | None = None


class LogActivityInput(Input):
    account_id: str
    contact_email: str = Email
    kind: Literal["call", "email", "meeting", "note"]
    summary: str = Field(min_length=1, max_length=1_000)


class CreateHoldInput(Input):
    owner_email: str = Email
    title: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    duration_minutes: int = Field(default=30, ge=15, le=480)
    attendees: list[str] = Field(default_factory=list, max_length=50)


class CreateTaskInput(Input):
    assignee_email: str = Email
    title: str = Field(min_length=1, max_length=200)
    due_on: date | None = None
    account_id: str | None = None
    notes: str = Field(default="", max_length=5_000)


def outreach_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``email.send``, ``crm.log_activity``, ``calendar.create_hold``, ``tasks.create`` and
    their compensating writes."""
    writes = _Writes(world)
    return [
        write_operation(
            "email.send",
            "Send an email from the requester's mailbox to one person (a customer or "
            "prospect). Cannot be unsent.",
            (SendEmailInput, SentEmail),
            writes.send,
            behaviour,
            risk=Risk.HIGH,
            editable=("subject", "body"),
        ),
        write_operation(
            "crm.log_activity",
            "Log an activity (call, email, meeting, note) with a contact on a CRM account.",
            (LogActivityInput, LoggedActivity),
            writes.log_activity,
            behaviour,
            risk=Risk.LOW,
            undo="crm.remove_activity",
        ),
        write_operation(
            "crm.remove_activity",
            "Remove an activity logged by crm.log_activity (its compensation).",
            (LoggedActivity, Undone),
            writes.remove_activity,
            behaviour,
            risk=Risk.LOW,
        ),
        write_operation(
            "calendar.create_hold",
            "Hold a tentative slot on a person's calendar, with optional attendees.",
            (CreateHoldInput, CalendarHold),
            writes.create_hold,
            behaviour,
            risk=Risk.LOW,
            undo="calendar.release_hold",
        ),
        write_operation(
            "calendar.release_hold",
            "Release a slot held by calendar.create_hold (its compensation).",
            (CalendarHold, Undone),
            writes.release_hold,
            behaviour,
            risk=Risk.LOW,
        ),
        write_operation(
            "tasks.create",
            "Create an internal task for someone at Northwind, optionally about an account.",
            (CreateTaskInput, TaskRecord),
            writes.create_task,
            behaviour,
            risk=Risk.LOW,
            undo="tasks.cancel",
        ),
        write_operation(
            "tasks.cancel",
            "Cancel a task created by tasks.create (its compensation).",
            (TaskRecord, Undone),
            writes.cancel_task,
            behaviour,
            risk=Risk.LOW,
        ),
    ]


async def known_account(conn: AsyncConnection, account_id: str, system: str) -> None:
    """Raise :class:`RecordNotFound` (permanent) unless the CRM has ``account_id``."""
    found = await conn.scalar(select(crm_accounts.c.id).where(crm_accounts.c.id == account_id))
    if found is None:
        raise RecordNotFound(f"there is no customer account {account_id!r}", system=system)


class _Writes:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def send(self, inp: SendEmailInput, ctx: CallContext) -> SentEmail:
        async def act(write: DemoRead) -> SentEmail:
            if inp.account_id is not None:
                await known_account(write.conn, inp.account_id, "email")
            sent = SentEmail(
                message_id=record_id("msg", ctx),
                to=inp.to,
                subject=inp.subject,
                account_id=inp.account_id,
                sent_at=write.now,
                idempotency_key=ctx.idempotency_key,
            )
            row = sent.model_dump(exclude={"duplicate"}) | {"body": inp.body}
            await write.conn.execute(outbox.insert().values(**row, run_id=ctx.run_id))
            return sent

        return await once(self.world, "email.send", ctx, SentEmail, act)

    async def log_activity(self, inp: LogActivityInput, ctx: CallContext) -> LoggedActivity:
        async def act(write: DemoRead) -> LoggedActivity:
            await known_account(write.conn, inp.account_id, "crm")
            logged = LoggedActivity(
                activity_id=record_id("act", ctx), at=write.now, **inp.model_dump()
            )
            row = logged.model_dump(exclude={"activity_id", "duplicate"})
            row |= {"id": logged.activity_id, "by_email": ctx.requester_email}
            await write.conn.execute(crm_logged_activities.insert().values(**row, **asked_by(ctx)))
            return logged

        return await once(self.world, "crm.log_activity", ctx, LoggedActivity, act)

    async def remove_activity(self, inp: LoggedActivity, ctx: CallContext) -> Undone:
        table = crm_logged_activities
        return await self._undo("crm.remove_activity", ctx, table, inp.activity_id, "removed_at")

    async def create_hold(self, inp: CreateHoldInput, ctx: CallContext) -> CalendarHold:
        async def act(write: DemoRead) -> CalendarHold:
            hold = CalendarHold(
                hold_id=record_id("hold", ctx),
                owner_email=inp.owner_email,
                title=inp.title,
                starts_at=inp.starts_at,
                ends_at=inp.starts_at + timedelta(minutes=inp.duration_minutes),
                attendees=inp.attendees,
            )
            row = inp.model_dump() | {"id": hold.hold_id}
            await write.conn.execute(calendar_holds.insert().values(**row, **asked_by(ctx)))
            return hold

        return await once(self.world, "calendar.create_hold", ctx, CalendarHold, act)

    async def release_hold(self, inp: CalendarHold, ctx: CallContext) -> Undone:
        return await self._undo(
            "calendar.release_hold", ctx, calendar_holds, inp.hold_id, "released_at"
        )

    async def create_task(self, inp: CreateTaskInput, ctx: CallContext) -> TaskRecord:
        async def act(write: DemoRead) -> TaskRecord:
            if inp.account_id is not None:
                await known_account(write.conn, inp.account_id, "tasks")
            task = TaskRecord(task_id=record_id("task", ctx), **inp.model_dump(exclude={"notes"}))
            row = inp.model_dump() | {"id": task.task_id}
            await write.conn.execute(tasks.insert().values(**row, **asked_by(ctx)))
            return task

        return await once(self.world, "tasks.create", ctx, TaskRecord, act)

    async def cancel_task(self, inp: TaskRecord, ctx: CallContext) -> Undone:
        return await self._undo("tasks.cancel", ctx, tasks, inp.task_id, "cancelled_at")

    async def _undo(
        self, operation: str, ctx: CallContext, table: Table, record: str, column: str
    ) -> Undone:
        return await undo_once(self.world, operation, ctx, table, record, column)


async def undo_once(
    world: DemoWorld, operation: str, ctx: CallContext, table: Table, record: str, column: str
) -> Undone:
    """Mark ``record`` of ``table`` as undone at the world's now (``column``), once per key;
    ``undone`` is False when it was already undone or never existed."""

    async def act(write: DemoRead) -> Undone:
        marked = await write.conn.execute(
            update(table)
            .where(table.c.id == record, table.c[column].is_(None))
            .values({column: write.now})
        )
        return Undone(of=record, undone=marked.rowcount == 1)

    return await once(world, operation, ctx, Undone, act)

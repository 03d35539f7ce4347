"""What the demo systems were asked to do: their write tables, and acting once per key.

The write tables have a :class:`MetaData` of their own: the daily rebuild drops and recreates
only the generated world (:data:`connectors.demo.schema.metadata`), so an email sent yesterday
is still in the outbox today. They are created when missing and never dropped.

``write_log`` keeps each write's output under its operation and idempotency key (see
:func:`connectors.demo.ops_base.once`), so a repeated call answers the first one's output.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    select,
)
from sqlalchemy.ext.asyncio import create_async_engine

from connectors.demo.schema import UtcDateTime
from workflows.domain import OutboxMessage

metadata = MetaData()


def _table(name: str, *columns: Column[object]) -> Table:
    return Table(name, metadata, *columns)


def _done_by() -> tuple[Column[object], ...]:
    """Who asked: the run and the idempotency key of the call."""
    return (Column("run_id", String, index=True), Column("idempotency_key", String))


write_log = _table(
    "write_log",
    Column("operation", String, primary_key=True),
    Column("idempotency_key", String, primary_key=True),
    Column("run_id", String, index=True),
    Column("at", UtcDateTime),
    Column("output", JSON),
)
outbox = _table(
    "outbox",
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String, unique=True),
    Column("to", String),
    Column("subject", String),
    Column("body", String),
    Column("account_id", String, nullable=True),
    Column("idempotency_key", String, unique=True),
    Column("run_id", String, index=True),
    Column("sent_at", UtcDateTime),
)
crm_logged_activities = _table(
    "crm_logged_activities",
    Column("id", String, primary_key=True),
    Column("account_id", String, index=True),
    Column("contact_email", String, index=True),
    Column("at", UtcDateTime),
    Column("kind", String),
    Column("summary", String),
    Column("by_email", String),
    Column("removed_at", UtcDateTime, nullable=True),
    *_done_by(),
)
crm_field_values = _table(
    "crm_field_values",
    Column("account_id", String, primary_key=True),
    Column("field", String, primary_key=True),
    Column("value", String),
    Column("changed_at", UtcDateTime),
    *_done_by(),
)
calendar_holds = _table(
    "calendar_holds",
    Column("id", String, primary_key=True),
    Column("owner_email", String, index=True),
    Column("title", String),
    Column("starts_at", UtcDateTime),
    Column("duration_minutes", Integer),
    Column("attendees", JSON),
    Column("released_at", UtcDateTime, nullable=True),
    *_done_by(),
)
calendar_changes = _table(
    "calendar_changes",
    Column("instance_id", String, primary_key=True),  # see connectors.demo.calendar
    Column("event_id", String, index=True),  # the calendar row or hold it is an instance of
    Column("original_start", UtcDateTime),  # where the instance was scheduled
    Column("moved_to", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("changed_at", UtcDateTime),
)
tasks = _table(
    "tasks",
    Column("id", String, primary_key=True),
    Column("assignee_email", String, index=True),
    Column("title", String),
    Column("due_on", Date, nullable=True),
    Column("account_id", String, nullable=True),
    Column("notes", String),
    Column("cancelled_at", UtcDateTime, nullable=True),
    *_done_by(),
)
billing_discounts = _table(
    "billing_discounts",
    Column("id", String, primary_key=True),
    Column("account_id", String, index=True),
    Column("percent", Float),
    Column("reason", String),
    Column("removed_at", UtcDateTime, nullable=True),
    *_done_by(),
)
contract_amendments = _table(
    "contract_amendments",
    Column("id", String, primary_key=True),
    Column("account_id", String, index=True),
    Column("contract_id", String, nullable=True),
    Column("change", String),
    Column("at", UtcDateTime),
    *_done_by(),
)


def create_write_tables(conn: Connection) -> None:
    """Create the write tables that are missing; existing ones (and their rows) stay."""
    metadata.create_all(conn, checkfirst=True)


async def read_outbox(path: Path) -> list[OutboxMessage]:
    """Every message the demo mailbox in ``path`` sent, oldest first; none for a file that
    does not exist yet (nothing was ever sent), without creating it."""
    if not await asyncio.to_thread(path.exists):
        return []
    engine = create_async_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda sync: inspect(sync).has_table(outbox.name)):
                return []
            rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).mappings().all()
    finally:
        await engine.dispose()
    return [OutboxMessage.model_validate({k: v for k, v in r.items() if k != "id"}) for r in rows]

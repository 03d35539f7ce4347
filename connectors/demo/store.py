"""Opening the demo world: a SQLite file generated on first use and reused while it is current.

The file's ``meta`` table records the seed, the day and the generator version it was built
for; if any differs, the file is rebuilt. Opening the same file from two processes at the same
moment is not supported (the second may rebuild under the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from connectors.demo import schema
from connectors.demo.world import generate_world

GENERATOR_VERSION: Final = "1"


@dataclass(frozen=True)
class DemoWorld:
    """An opened demo world: its database and the moment it is pinned to.

    ``today`` dates the data; ``now`` (aware, UTC) anchors "upcoming" meetings and "since"
    windows, so a world answers the same way for as long as it is open.
    """

    path: Path
    engine: AsyncEngine
    seed: int
    today: date
    now: datetime

    @property
    def anchor(self) -> datetime:
        """``now`` floored to a quarter hour: where "in two hours" meetings are counted from."""
        return self.now.replace(
            minute=self.now.minute - self.now.minute % 15, second=0, microsecond=0
        )

    @property
    def midnight(self) -> datetime:
        """The start of ``today`` in UTC."""
        return datetime(self.today.year, self.today.month, self.today.day, tzinfo=UTC)

    def resolve(self, anchor: str, offset_minutes: int) -> datetime:
        """The instant of a calendar offset stored against ``"now"`` or ``"today"``."""
        base = self.anchor if anchor == "now" else self.midnight
        return base + timedelta(minutes=offset_minutes)

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()


async def open_demo_world(path: Path, *, today: date, now: datetime, seed: int = 7) -> DemoWorld:
    """Open the demo world in ``path``, generating it unless it is current for (seed, today)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    wanted = {"seed": str(seed), "today": today.isoformat(), "version": GENERATOR_VERSION}
    async with engine.begin() as conn:
        if await _meta(conn) != wanted:
            await _rebuild(conn, seed, today, wanted)
    return DemoWorld(path, engine, seed, today, now.astimezone(UTC))


async def _meta(conn: AsyncConnection) -> dict[str, str]:
    if not await conn.run_sync(_has_meta):
        return {}
    result = await conn.execute(select(schema.meta.c.key, schema.meta.c.value))
    return {str(row.key): str(row.value) for row in result}


def _has_meta(conn: Connection) -> bool:
    return inspect(conn).has_table(schema.meta.name)


async def _rebuild(conn: AsyncConnection, seed: int, today: date, meta: dict[str, str]) -> None:
    await conn.run_sync(schema.metadata.drop_all)
    await conn.run_sync(schema.metadata.create_all)
    for table, rows in generate_world(seed, today).items():
        if rows:
            await conn.execute(schema.metadata.tables[table].insert(), rows)
    rows_meta = [{"key": k, "value": v} for k, v in meta.items()]
    await conn.execute(schema.meta.insert(), rows_meta)

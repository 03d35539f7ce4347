"""What the identity graph does on SQLite's driver (``aiosqlite``) directly, below
SQLAlchemy: inserts of many rows to a statement (:func:`insert_many`), and statements that
must not begin a transaction (a connection's settings, :mod:`~connectors.graph.wal`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import chain, islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

SQLITE_VALUES = 32_000
"""Values bound to one SQLite insert at most (SQLite allows 32,766 by default)."""


async def driver_of(conn: AsyncConnection) -> Any:
    """The ``aiosqlite`` connection under ``conn`` (no transaction begins)."""
    return (await conn.get_raw_connection()).driver_connection


async def execute(driver: Any, sql: str, values: tuple[Any, ...] = ()) -> list[Any]:
    """Run ``sql`` on ``driver`` (:func:`driver_of`); the rows it gives."""
    async with driver.execute(sql, values) as cursor:
        return list(await cursor.fetchall())


async def insert_many(
    conn: AsyncConnection, sql: str, width: int, rows: Iterator[tuple[Any, ...]]
) -> None:
    """Run ``sql`` (an insert of one row of ``width`` values) for ``rows``, as many rows to a
    statement as :data:`SQLITE_VALUES` allows, each statement made while the one before runs.
    SQLite runs a statement in one call that lets go of the GIL, so the next rows (a build's
    are made as they are taken) are made meanwhile; ``executemany`` would take the GIL back
    after every row, and wait each time for the thread making rows to give it up."""
    driver = await driver_of(conn)
    group = "(" + ", ".join("?" * width) + ")"
    head, _, tail = sql.partition(group)
    per = SQLITE_VALUES // width
    texts: dict[int, str] = {}
    running: asyncio.Future[list[Any]] | None = None
    try:
        while chunk := list(islice(rows, per)):
            text = texts.get(len(chunk))
            if text is None:
                text = texts[len(chunk)] = head + ", ".join([group] * len(chunk)) + tail
            if running is not None:
                await running
            running = asyncio.ensure_future(execute(driver, text, tuple(chain(*chunk))))
            await asyncio.sleep(0)  # handed to the driver's thread before the next are made
        if running is not None:
            await running
    finally:  # rows that failed to be made: the statement running still ends first
        if running is not None:
            await asyncio.wait([running])

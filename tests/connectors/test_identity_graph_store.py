"""The identity graph's tables written in bulk, on real SQLite and PostgreSQL: more rows than
one statement takes, rows written over, rows that fail to be made partway, and a build's
log copied into the SQLite file aside."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.graph import tables as t
from connectors.graph import wal
from connectors.graph.source import SourceRecord
from connectors.graph.sqlite_driver import SQLITE_VALUES
from connectors.graph.store import GraphTables, RecordRow, StoredRecord, record_row
from connectors.resolution import Record
from tests.connectors.graph_env import DATABASES, graph_engine
from workflows.audit.store import create_engine_for

checkpoint = wal._checkpoint

NOW = datetime(2025, 6, 10, 9, 7, tzinfo=UTC)
# More than two SQLite statements' worth of record rows, the last one short.
COUNT = 2 * (SQLITE_VALUES // len(t.records.columns)) + 17
PAGES = 100


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with graph_engine(request.param, tmp_path) as made:
        yield made


def stored(i: int, entity: str = "") -> StoredRecord:
    record = Record(system="crm", record_id=f"c-{i:05d}", kind="person", name=f"Person {i}")
    return StoredRecord(SourceRecord(record=record), [f"p|n|{i}"], entity or f"e-{i}")


def rows(tables: GraphTables, count: int, entity: str = "") -> Iterator[RecordRow]:
    stamp = tables.stamp(NOW)
    return (record_row(stored(i, entity), stamp) for i in range(count))


def failing(tables: GraphTables, count: int, at: int) -> Iterator[RecordRow]:
    """The rows of :func:`rows` (entity ``new``) until row ``at``, which cannot be made."""
    for i, row in enumerate(rows(tables, count, entity="new")):
        if i == at:
            raise RuntimeError("a source record could not be read")
        yield row


async def write(tables: GraphTables, records: Iterator[RecordRow], *, full: bool) -> None:
    await tables.write(
        records=records,
        removed=(),
        dropped_entities=(),
        entities=(),
        reviews=(),
        state={"cursor": "1"},
        at=NOW,
        full=full,
    )


async def entity_ids(engine: AsyncEngine) -> list[str]:
    query = select(t.records.c.entity_id).order_by(t.records.c.record_id)
    async with engine.connect() as conn:
        return [str(e) for e in (await conn.execute(query)).scalars()]


async def test_more_rows_than_a_statement_takes_are_all_written(engine: AsyncEngine) -> None:
    tables = GraphTables(engine)
    await tables.create()
    await write(tables, rows(tables, COUNT), full=True)
    assert await entity_ids(engine) == [f"e-{i}" for i in range(COUNT)]
    loaded = await tables.load_records()
    assert [r.source.record.record_id for r in loaded] == [f"c-{i:05d}" for i in range(COUNT)]
    assert loaded[-1].block_keys == [f"p|n|{COUNT - 1}"]
    assert loaded[-1].source == stored(COUNT - 1).source


async def test_rows_written_over_replace_theirs_in_place(engine: AsyncEngine) -> None:
    tables = GraphTables(engine)
    await tables.create()
    await write(tables, rows(tables, COUNT), full=True)
    await write(tables, rows(tables, COUNT - 100, entity="moved"), full=False)
    found = await entity_ids(engine)
    assert found == ["moved"] * (COUNT - 100) + [f"e-{i}" for i in range(COUNT - 100, COUNT)]


async def test_rows_failing_to_be_made_partway_write_nothing(engine: AsyncEngine) -> None:
    tables = GraphTables(engine)
    await tables.create()
    await write(tables, rows(tables, 10), full=True)
    with pytest.raises(RuntimeError, match="could not be read"):  # statements have run by
        await write(tables, failing(tables, COUNT, COUNT - 5), full=True)  # then: rolled back
    assert await entity_ids(engine) == [f"e-{i}" for i in range(10)]
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(t.records)) == 10
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def autocheckpoint(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:  # the pool's connection: the one that wrote
        return int((await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one())


async def test_a_build_leaves_its_log_copied_aside_and_the_setting_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "graph.db"
    sizes: list[int] = []

    def copy(at: str) -> None:  # the file as the copy finds it: as the commit left it
        sizes.append(Path(at).stat().st_size)
        checkpoint(at)

    monkeypatch.setattr(wal, "_checkpoint", copy)
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def _often(conn: Any, _: Any) -> None:  # a copy every 100 pages: the build has more
        conn.execute(f"PRAGMA wal_autocheckpoint={PAGES}")

    tables = GraphTables(engine)
    await tables.create()
    with pytest.raises(RuntimeError):  # a failed build: the setting is back, nothing copied
        await write(tables, failing(tables, COUNT, 9_000), full=True)
    assert await autocheckpoint(engine) == PAGES
    await write(tables, rows(tables, COUNT), full=True)
    assert await autocheckpoint(engine) == PAGES
    await tables.checkpoints.settled()
    with closing(sqlite3.connect(path)) as db:
        busy, pages, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        count = db.execute("SELECT count(*) FROM identity_records").fetchone()[0]
    assert pages > PAGES  # more than SQLite copies in a commit: the commit did not
    assert (busy, copied) == (0, pages)
    assert count == COUNT
    assert len(sizes) == 1 and sizes[0] < 50 * 4096  # the tables made, none of the rows
    await engine.dispose()

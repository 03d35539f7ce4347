"""Reading and writing the identity graph's tables (:mod:`connectors.graph.tables`).

A full build writes everything in one transaction; a refresh replaces only the entities it
re-resolved and the records it touched, in one transaction too, so a reader sees the graph
before or after, never half of it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from operator import attrgetter
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Table, Text, bindparam, cast, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import Insert

from connectors.graph import tables as t
from connectors.graph.source import SourceRecord
from connectors.graph.sqlite_driver import insert_many
from connectors.graph.wal import Checkpoints
from connectors.resolution import Cluster, Entity, Kind, LinkJudge, Override, RecordKey, Review
from connectors.resolution.results import LinkRef

CHUNK = 20_000
# Tries at creating the tables when another process creates them at the same moment.
CREATE_ATTEMPTS = 5
_KEYS: TypeAdapter[list[str]] = TypeAdapter(list[str])
_KEYS_JSON = _KEYS.serializer.to_json
"""A record's blocking keys as JSON, straight from pydantic's serialiser: ``dump_json``
checks its arguments in Python first, three times the cost for a list this short, and a
build dumps a list for every record."""
_Row = tuple[Kind, float, str]
"""An entity's row as read: kind, confidence and its body (:data:`_BODY`, as text)."""
_BODY: TypeAdapter[tuple[tuple[RecordKey, ...], tuple[LinkRef, ...]]] = TypeAdapter(
    tuple[tuple[RecordKey, ...], tuple[LinkRef, ...]]
)
"""An entity's records and its links as comparison vectors (``[[["crm", "acct-1"], …],
[[0, 1, "model", [0, -1, 2]], …]]``): an explained link's evidence would take ten times the
room, and a graph of a million records holds a million links."""
_BODY_JSON = _BODY.serializer.to_json


class StoredRecord:
    """A record as the graph keeps it: the source's record, its blocking keys (as
    :func:`~connectors.resolution.key_list` gives them: one may come twice) and its
    entity."""

    __slots__ = ("block_keys", "entity_id", "source")

    def __init__(self, source: SourceRecord, block_keys: list[str], entity_id: str) -> None:
        self.source = source
        self.block_keys = block_keys
        self.entity_id = entity_id


RecordRow = tuple[Any, ...]
"""A record's row, values in the table's column order (:func:`record_row`)."""


def record_row(r: StoredRecord, stamp: Any, data: bytes | None = None) -> RecordRow:
    """The row of ``r``, written at ``stamp`` (:meth:`GraphTables.stamp`); ``data`` is its
    JSON (:meth:`~connectors.graph.SourceRecord.dumped`) when the caller has it, as a
    refresh has for the records it found changed."""
    record = r.source.record
    return (
        record.system,
        record.record_id,
        record.kind,
        r.entity_id,
        (r.source.dumped() if data is None else data).decode(),
        _KEYS_JSON(r.block_keys).decode(),
        stamp,
    )


class EntityRows(Mapping[str, Entity]):
    """Entities by id, kept as clusters (:class:`~connectors.resolution.Cluster`: their links
    as comparison vectors) and explained by ``judge`` when one is asked for; a stored row is
    read into its cluster on first use."""

    def __init__(self, judge: LinkJudge, rows: dict[str, Cluster | _Row] | None = None) -> None:
        self._judge = judge
        self._rows = rows or {}

    def cluster(self, entity_id: str) -> Cluster:
        """The entity ``entity_id`` as a cluster (:class:`KeyError` when there is none)."""
        found = self._rows[entity_id]
        if isinstance(found, Cluster):
            return found
        kind, confidence, body = found
        records, links = _BODY.validate_json(body)
        made = Cluster(entity_id, kind, records, confidence, links)
        self._rows[entity_id] = made
        return made

    def put(self, clusters: Iterable[Cluster]) -> None:
        for c in clusters:
            self._rows[c.entity_id] = c

    def drop(self, entity_ids: Iterable[str]) -> None:
        for entity_id in entity_ids:
            self._rows.pop(entity_id, None)

    def __getitem__(self, entity_id: str) -> Entity:
        return self._judge.entity(self.cluster(entity_id))

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._rows


class GraphTables:
    """The graph's rows on an engine (the composition root's database)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.checkpoints = Checkpoints(engine)

    async def create(self) -> None:
        """Create the tables that are missing, and drop a graph an older Crosswire wrote in
        another format (:data:`~connectors.graph.tables.FORMAT`) for it to be built again:
        it is made from the sources, but for the verdicts and review posts, which are kept.
        Two processes starting at once may both try: the loser's "already exists" is tried
        again, finding more of them there each time (on SQLite the other may still be
        creating the rest: its tables are made one by one)."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                async with self.engine.begin() as conn:
                    await conn.run_sync(t.metadata.create_all)
                    older = await _older(conn)
                if older:
                    async with self.engine.begin() as conn:
                        await conn.run_sync(t.metadata.drop_all, tables=t.derived)
                        await conn.run_sync(t.metadata.create_all)
                return
            except DBAPIError:
                if attempt == CREATE_ATTEMPTS - 1:
                    raise

    def stamp(self, at: datetime) -> Any:
        """``at`` as the database driver takes it for the rows' ``updated_at`` (text on
        SQLite), worked out once for a value every row of a write shares."""
        dialect = self.engine.dialect
        process = t.records.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        return at if process is None else process(at)

    async def state(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.state.c.key, t.state.c.value))
            return {str(k): str(v) for k, v in rows}

    async def load_records(self) -> list[StoredRecord]:
        """Every record. The JSON columns are read as text and parsed by pydantic (a record)
        and by ``json`` (its keys), rather than decoded into dictionaries first: a restart
        reads a row for every record."""
        r = t.records.c
        query = select(cast(r.data, Text), cast(r.block_keys, Text), r.entity_id).order_by(
            r.system, r.record_id
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        parse, keys = SourceRecord.model_validate_json, json.loads
        return [
            StoredRecord(parse(data), keys(block_keys), str(entity_id))
            for data, block_keys, entity_id in rows
        ]

    async def load_entities(self, judge: LinkJudge) -> EntityRows:
        """Every entity, read now and parsed when first asked for (a restart needs only the
        records to serve lookups); ``judge`` explains their links."""
        e = t.entities.c
        query = select(e.entity_id, e.kind, e.confidence, cast(e.links, Text))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return EntityRows(
            judge, {str(i): (kind, float(confidence), body) for i, kind, confidence, body in rows}
        )

    async def load_overrides(self) -> list[Override]:
        query = select(t.overrides).order_by(t.overrides.c.id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        latest: dict[tuple[RecordKey, RecordKey], Override] = {}
        for r in rows:
            pair = sorted([(r["left_system"], r["left_id"]), (r["right_system"], r["right_id"])])
            latest[(pair[0], pair[1])] = Override(left=pair[0], right=pair[1], verdict=r["verdict"])
        return list(latest.values())

    async def load_reviews(self) -> list[Review]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.reviews))).mappings().all()
        return [Review.model_validate({"link": r["link"], "reason": r["reason"]}) for r in rows]

    async def add_override(self, override: Override, by: str, at: datetime) -> None:
        row = {
            "left_system": override.left[0],
            "left_id": override.left[1],
            "right_system": override.right[0],
            "right_id": override.right[1],
            "verdict": override.verdict,
            "decided_by": by,
            "decided_at": at,
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(t.overrides), [row])

    async def write(
        self,
        *,
        records: Iterable[RecordRow],
        removed: Iterable[RecordKey],
        dropped_entities: Iterable[str],
        entities: Sequence[Cluster],
        reviews: Sequence[Review],
        state: dict[str, str],
        at: datetime,
        full: bool = False,
        resolved: Iterable[RecordKey] = (),
    ) -> None:
        """Replace ``dropped_entities`` by ``entities``, write ``records`` (the rows of the
        new, changed or moved ones, stamped ``at``), delete ``removed`` and set ``state``;
        the reviews of ``removed`` and ``resolved`` (the records re-resolved) are replaced by
        ``reviews``; ``full`` empties the tables first. Rows written over are replaced in
        place (an upsert), not deleted first. The commit leaves SQLite's log to be copied
        into the file aside (:mod:`~connectors.graph.wal`)."""
        gone = list(removed)
        async with (
            self.engine.connect() as conn,
            self.checkpoints.deferred(conn),
            conn.begin(),
        ):
            if full:
                for table in (t.records, t.entities, t.reviews):
                    await conn.execute(delete(table))
            else:
                await _delete_records(conn, gone)
                await _delete_entities(
                    conn, set(dropped_entities) - {c.entity_id for c in entities}
                )
                await _delete_reviews(conn, list({*gone, *resolved}))
            stamp = self.stamp(at)
            await _insert(conn, t.records, records, replace=not full)
            # In their key's order: each goes into the tree beside the last, not at random.
            rows = (_entity_row(c, stamp) for c in sorted(entities, key=_ENTITY_ID))
            await _insert(conn, t.entities, rows, replace=not full)
            await _insert(conn, t.reviews, [_review_row(r) for r in reviews])
            await _insert(conn, t.state, list(state.items()), replace=True)


async def _older(conn: AsyncConnection) -> bool:
    """Whether the graph on ``conn`` was built in another format than this one's."""
    key, value = t.state.c.key, t.state.c.value
    query = select(key, value).where(key.in_(["cursor", "format"]))
    found = {str(k): str(v) for k, v in await conn.execute(query)}
    return "cursor" in found and found.get("format") != t.FORMAT


async def _insert(
    conn: AsyncConnection, table: Table, rows: Iterable[tuple[Any, ...]], *, replace: bool = False
) -> None:
    """Insert ``rows`` (``replace``: or write over the rows with their keys), values in the
    table's column order and as the driver takes them (:meth:`GraphTables.stamp`). The
    statement is compiled once for the dialect and no dictionary per row is made or read,
    which is most of the cost of a build's hundreds of thousands of rows: on SQLite many
    rows to a statement (:func:`~connectors.graph.sqlite_driver.insert_many`), elsewhere
    through the driver's ``executemany``, :data:`CHUNK` rows at a time."""
    statement = _upsert(conn, table) if replace else insert(table)
    compiled = statement.compile(dialect=conn.dialect)
    names = table.columns.keys()
    found = iter(rows)
    positional = compiled.positional and compiled.positiontup == names
    if positional and conn.dialect.name == "sqlite":
        await insert_many(conn, compiled.string, len(names), found)
        return
    chunk = list(islice(found, CHUNK))
    while chunk:
        if positional:
            await conn.exec_driver_sql(compiled.string, chunk)
        else:
            await conn.execute(statement, [dict(zip(names, row, strict=True)) for row in chunk])
        chunk = list(islice(found, CHUNK))


def _upsert(conn: AsyncConnection, table: Table) -> Insert:
    """An insert into ``table`` that writes over the row with the same primary key."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = make(table)
    keys = [c.name for c in table.primary_key]
    columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=columns)


def _by_system(keys: Iterable[RecordKey]) -> dict[str, list[str]]:
    out: defaultdict[str, list[str]] = defaultdict(list)
    for system, record_id in keys:
        out[system].append(record_id)
    return out


async def _delete_records(conn: AsyncConnection, keys: list[RecordKey]) -> None:
    for system, ids in _by_system(keys).items():
        for start in range(0, len(ids), 500):
            await conn.execute(
                delete(t.records).where(
                    t.records.c.system == system,
                    t.records.c.record_id.in_(ids[start : start + 500]),
                )
            )


async def _delete_reviews(conn: AsyncConnection, keys: list[RecordKey]) -> None:
    """Delete the reviews with a record of ``keys`` on either side. The reviews are few
    (the "maybe" pairs) and the keys a refresh's tens of thousands: the reviews' pairs are
    read and those to go deleted by their primary key."""
    if not keys:
        return
    r = t.reviews.c
    pairs = (await conn.execute(select(r.left_system, r.left_id, r.right_system, r.right_id))).all()
    wanted = set(keys)
    doomed = [tuple(p) for p in pairs if (p[0], p[1]) in wanted or (p[2], p[3]) in wanted]
    if not doomed:
        return
    where = delete(t.reviews).where(
        r.left_system == bindparam("ls"),
        r.left_id == bindparam("li"),
        r.right_system == bindparam("rs"),
        r.right_id == bindparam("ri"),
    )
    names = ("ls", "li", "rs", "ri")
    await conn.execute(where, [dict(zip(names, p, strict=True)) for p in doomed])


async def _delete_entities(conn: AsyncConnection, ids: Iterable[str]) -> None:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        await conn.execute(delete(t.entities).where(t.entities.c.entity_id.in_(chunk)))


_ENTITY_ID = attrgetter("entity_id")


def _entity_row(c: Cluster, stamp: Any) -> tuple[Any, ...]:
    body = _BODY_JSON((c.records, c.links)).decode()
    return (c.entity_id, c.kind, c.confidence, body, stamp)


def _review_row(r: Review) -> tuple[Any, ...]:
    left, right = r.link.left, r.link.right
    link = r.link.model_dump_json()
    return (left[0], left[1], right[0], right[1], r.reason, r.link.probability, link)

"""The identity graph: every record of every connected system, the entities they form, how
sure, and why. Built once by the resolver, kept in the database, refreshed incrementally.

:meth:`IdentityGraph.open` loads the graph (or, the first time, builds it from
:meth:`IdentitySource.records`, fitting the match model) and then asks the source what
changed since its cursor. A refresh re-blocks and re-scores only what changed: the changed
records' features and blocking keys are computed, the records sharing a key with them (the
stored keys say which) and the entities of both are re-resolved with the stored model, and
only those entities are replaced. A changed record whose features came out as they were (a new
owner, a name in capitals) is kept as it is now without re-resolving anything. Overrides
("same", "not same") are kept as rows, re-applied at every resolution, so they survive
refreshes and rebuilds.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Literal, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.graph import tables as t
from connectors.graph.aside import aside
from connectors.graph.blocks import BlockIndex
from connectors.graph.source import IdentitySource, SourceChanges, SourceRecord
from connectors.graph.store import EntityRows, GraphTables, RecordRow, StoredRecord, record_row
from connectors.resolution import (
    Cluster,
    Clustering,
    Entity,
    Features,
    Kind,
    LinkJudge,
    MatchModel,
    Override,
    Prepared,
    Record,
    RecordKey,
    ResolutionError,
    Resolver,
    ResolverSettings,
    Review,
    Verdict,
    code_keys,
    features,
    key_list,
    lasting,
    paused_gc,
)
from workflows.clock import Clock, SystemClock
from workflows.domain import Employee

LINKING = ResolverSettings(across_systems_only=True)
"""How the graph resolves: it links systems, and each system's own records are distinct (a
CRM holds two contacts called Wright as two people); a person may still say two are one."""
NEIGHBOUR_BLOCK = 30
_MODELS = TypeAdapter(dict[Kind, MatchModel])
_EMPLOYEES = TypeAdapter(list[Employee])
_SOURCE_KEY: Callable[[SourceRecord], RecordKey] = attrgetter("record.system", "record.record_id")
_FIRST = itemgetter(0)
_T = TypeVar("_T")
How = Literal["loaded", "built", "refreshed", "reloaded", "unchanged"]


@dataclass(frozen=True)
class GraphChange:
    """What the last build or refresh did: ``changed`` records (new, changed or removed),
    how many records it re-resolved, entities replaced, and the time it took."""

    how: How
    changed: int = 0
    resolved: int = 0
    entities: int = 0
    seconds: float = 0.0


class IdentityGraph:
    """The graph in memory (records, entities, models, overrides), kept in step with its
    tables. Methods that change it write the tables first. A change whose write fails (the
    database gone, a row that cannot be made) leaves the memory ahead of the tables: the
    graph is then taken again as the tables hold it before anything else reads or changes
    it, and the change comes again with the next refresh, from the cursor kept."""

    def __init__(
        self,
        tables: GraphTables,
        source: IdentitySource,
        settings: ResolverSettings,
        clock: Clock,
    ) -> None:
        self._tables, self._source, self._settings, self._clock = tables, source, settings, clock
        self.records: dict[RecordKey, StoredRecord] = {}
        self._models: dict[Kind, MatchModel] = {}
        self.entities = EntityRows(self._judge())
        self.reviews: list[Review] = []
        self.overrides: list[Override] = []
        self.employees: list[Employee] = []
        self.account_system = ""
        self._cursor = ""
        self._blocks = BlockIndex([], code_keys([]))
        self._ahead = False  # a write failed: the tables hold the graph, not the memory
        self.last = GraphChange("loaded")

    @classmethod
    async def open(
        cls,
        engine: AsyncEngine,
        source: IdentitySource,
        *,
        settings: ResolverSettings | None = None,
        clock: Clock | None = None,
        refresh: bool = True,
    ) -> IdentityGraph:
        """The graph on ``engine`` for ``source``: loaded if it was built before (then
        refreshed, unless ``refresh`` is false), else built."""
        tables = GraphTables(engine)
        await tables.create()
        graph = cls(tables, source, settings or LINKING, clock or SystemClock())
        state = await tables.state()
        if "cursor" not in state:
            try:
                await graph.build()
                return graph
            except IntegrityError:  # another replica built it first: use theirs
                state = await tables.state()
        with lasting():
            await graph._load(state)
        if refresh:
            await graph.refresh()
        return graph

    async def _load(self, state: dict[str, str]) -> None:
        self._cursor = state["cursor"]
        self.account_system = state["account_system"]
        self._models = _MODELS.validate_json(state["models"])
        self.employees = _EMPLOYEES.validate_json(state["employees"])
        self.records = {r.source.key: r for r in await self._tables.load_records()}
        self._blocks = BlockIndex.of((k, r.block_keys) for k, r in self.records.items())
        self.entities = await self._tables.load_entities(self._judge())
        self.overrides = await self._tables.load_overrides()
        self.reviews = await self._tables.load_reviews()
        self._ahead = False
        self.last = GraphChange("loaded", entities=len(self.entities))

    async def build(self) -> GraphChange:
        """Resolve every record of the source from scratch, fitting the model."""
        with lasting():
            return await self._build()

    async def _build(self) -> GraphChange:
        started = time.perf_counter()
        snapshot = await self._source.records()
        self.account_system = snapshot.account_system
        self.employees = list(snapshot.employees)
        self.overrides = await self._tables.load_overrides()
        ordered = self._ordered(snapshot.records, _SOURCE_KEY)
        resolver = Resolver(self._settings)
        records = [r.record for r in ordered]
        prepared = resolver.prepare(records)
        resolution = resolver.cluster(records, self._known(ordered), prepared=prepared)
        self._models = dict(resolution.models)
        self.records = {}
        at = self._clock.now()
        self._cursor = snapshot.cursor
        await self._tables.write(  # the records are kept as their rows are written
            records=self._store(ordered, resolution, prepared.keys, at, index=False),
            removed=(),
            dropped_entities=(),
            entities=resolution.clusters,
            reviews=resolution.reviews,
            state=self._state(),
            at=at,
            full=True,
        )
        self._blocks = BlockIndex(list(self.records), prepared.coded)  # in ``ordered``'s order
        self.entities = EntityRows(self._judge(), {c.entity_id: c for c in resolution.clusters})
        self.reviews = list(resolution.reviews)
        seconds = time.perf_counter() - started
        self.last = GraphChange("built", len(ordered), len(ordered), len(self.entities), seconds)
        return self.last

    async def settled(self) -> None:
        """Wait for what the last write left running aside: its log copied into the SQLite
        file (:mod:`~connectors.graph.wal`)."""
        await self._tables.checkpoints.settled()

    async def refresh(self) -> GraphChange:
        """Bring the graph up to what the source holds now, re-resolving only around what
        changed; first, if another process recorded a verdict since or a write of this one
        failed, take the graph as the tables hold it."""
        with paused_gc():  # a collector pass would walk every record the graph holds
            return await self._refresh()

    async def _refresh(self) -> GraphChange:
        started = time.perf_counter()
        reloaded = await self._caught_up()
        changes = await self._source.changed_since(self._cursor)
        diff = await aside(self._diff, changes)
        if changes.employees is not None:
            self.employees = list(changes.employees)
        if not diff.changed and not diff.removed:
            self._cursor = changes.cursor
            await self._write_state()
            how: How = "reloaded" if reloaded or changes.employees is not None else "unchanged"
            self.last = GraphChange(how, seconds=time.perf_counter() - started)
            return self.last
        state = self._state() | {"cursor": changes.cursor}  # kept with the change, at once
        resolved, replaced = await self._reresolve(diff, state=state)
        self._cursor = changes.cursor
        seconds = time.perf_counter() - started
        self.last = GraphChange("refreshed", diff.size, resolved, replaced, seconds)
        return self.last

    async def override(self, left: RecordKey, right: RecordKey, verdict: Verdict, by: str) -> None:
        """A person's verdict on two records: kept, and the entities around them re-resolved
        so it shows at once. Raises :class:`ValueError` for an unknown record, and
        :class:`~connectors.resolution.ResolutionError` for a verdict that contradicts
        earlier ones (nothing is kept then)."""
        if self._ahead:
            await self._caught_up()
        for key in (left, right):
            if key not in self.records:
                raise ValueError(f"no record {key[0]}:{key[1]} in the identity graph")
        first, second = sorted((left, right))
        override = Override(left=first, right=second, verdict=verdict)
        pair = {first, second}
        before = self.overrides
        self.overrides = [o for o in self.overrides if {o.left, o.right} != pair] + [override]
        try:
            await self._reresolve(_Diff({}, set(), {}), also=pair)
        except ResolutionError:  # refused before anything was kept
            self.overrides = before
            raise
        with self._keeping():
            await self._tables.add_override(override, by, self._clock.now())

    def records_by_key(self) -> dict[RecordKey, tuple[SourceRecord, str]]:
        """Every record with the id of its entity."""
        return {k: (r.source, r.entity_id) for k, r in self.records.items()}

    def entity_of(self, key: RecordKey) -> Entity | None:
        stored = self.records.get(key)
        return None if stored is None else self.entities.get(stored.entity_id)

    # ------------------------------------------------------------------ internals

    def _diff(self, changes: SourceChanges) -> _Diff:
        """What ``changes`` change in the graph: records new or changed (their JSON is not the
        one kept's: comparing two dumps costs less than comparing the two models, and the
        changed one's is written), with their JSON, and records removed."""
        removed = {k for k in changes.removed if k in self.records}
        if changes.complete:
            listed = {r.key for r in changes.records}
            removed |= {k for k in self.records if k[0] in changes.complete and k not in listed}
        changed, dumped = {}, {}
        for r in changes.records:
            key, data = r.key, r.dumped()
            old = self.records.get(key)
            if old is None or old.source.dumped() != data:
                changed[key] = r
                dumped[key] = data
        return _Diff(changed, removed, dumped)

    async def _caught_up(self) -> bool:
        """Take the graph again as the tables hold it, if a write failed since it was taken
        or another process recorded a verdict since: whether it was taken again."""
        stale = self._ahead or (
            _verdicts(await self._tables.load_overrides()) != _verdicts(self.overrides)
        )
        if stale:
            with lasting():
                await self._load(await self._tables.state())
        return stale

    async def _reresolve(
        self, diff: _Diff, also: Iterable[RecordKey] = (), state: dict[str, str] | None = None
    ) -> tuple[int, int]:
        """Re-resolve around ``diff`` and ``also``, and keep the result, with ``state``: the
        changed and removed records are taken out of the block index (the changed are filed
        again as they are kept)."""
        # Away from the event loop: it reads the records, the model and the verdicts, which
        # nothing changes meanwhile (a refresh and a verdict take turns in the directory).
        removed = diff.removed
        around = await aside(self._around, diff.changed, removed, set(also))
        with self._keeping():
            return await self._keep(diff, around, state)

    @contextmanager
    def _keeping(self) -> Iterator[None]:
        """A change being kept in memory and written: if it fails, the memory may be ahead
        of the tables (:meth:`_caught_up` takes the graph again)."""
        try:
            yield
        except BaseException:
            self._ahead = True
            raise

    async def _keep(
        self, diff: _Diff, around: _Around, state: dict[str, str] | None
    ) -> tuple[int, int]:
        removed = diff.removed
        dropped, subset, ordered = around.dropped, around.subset, around.ordered
        resolution, block_keys = around.resolution, around.block_keys
        altered = {k: made for k, made in diff.dumped.items() if k not in around.unaltered}
        await aside(self._unindex, removed | set(altered))
        for key in removed:
            self.records.pop(key, None)
        at = self._clock.now()
        # Taken as they are written: the next are made while SQLite writes the last.
        stored = self._store(ordered, resolution, block_keys, at, changed=altered)
        if around.unaltered:  # their rows are the new versions', after any move
            unaltered = around.unaltered
            stored = chain(
                (row for row in stored if (row[0], row[1]) not in unaltered),
                self._restate(unaltered, diff.dumped, at),
            )
        gone, made = self._replaced(dropped, resolution.clusters)
        self.entities.drop(dropped)
        self.entities.put(resolution.clusters)
        inside = set(subset) | removed
        self.reviews = [r for r in self.reviews if not {r.link.left, r.link.right} & inside]
        self.reviews += resolution.reviews
        await self._tables.write(
            records=stored,
            removed=removed,
            dropped_entities=gone,
            entities=made,
            reviews=resolution.reviews,
            state=state or {},
            at=at,
            resolved=inside,
        )
        return len(ordered), len(resolution.clusters)

    def _replaced(
        self, dropped: set[str], made: Sequence[Cluster]
    ) -> tuple[set[str], list[Cluster]]:
        """Of the entities ``dropped`` for a re-resolution and those it ``made``, the ones
        whose rows change: an entity made again just as it was (most, around a changed
        phone or a name's new case) keeps its row."""
        was = self.entities.cluster
        kept = {c.entity_id for c in made if c.entity_id in dropped and was(c.entity_id) == c}
        return dropped - kept, [c for c in made if c.entity_id not in kept]

    def _around(
        self,
        changed: dict[RecordKey, SourceRecord],
        removed: set[RecordKey],
        also: set[RecordKey],
    ) -> _Around:
        """The re-resolution around ``changed``, ``removed`` and ``also``, before it is kept:
        the entities of those records and of their neighbours are dropped and their records
        (but the removed) resolved again with the stored model; nothing is changed yet.
        A changed record whose features are as they were is not re-resolved for itself
        (:meth:`_altered`)."""
        altered, unaltered = self._altered(changed)
        near = self._neighbours(found for _, found in altered.values())
        touched = set(altered) | removed | near | also
        dropped = {self.records[k].entity_id for k in touched if k in self.records}
        subset = {k for e in dropped for k in self.entities.cluster(e).records} | set(altered)
        subset -= removed
        kept = self.records
        ordered = [
            changed[k] if k in altered else kept[k].source for k in self._ordered(subset, _key)
        ]
        if not ordered:
            return _Around(dropped, subset, ordered, _Nothing(), [], unaltered)
        resolver = Resolver(self._settings, models=self._models)
        records = [r.record for r in ordered]
        prepared = self._prepared(records, altered)
        resolution = resolver.cluster(records, self._known(ordered), prepared=prepared)
        return _Around(dropped, subset, ordered, resolution, prepared.keys, unaltered)

    def _altered(
        self, changed: dict[RecordKey, SourceRecord]
    ) -> tuple[dict[RecordKey, tuple[Features, list[str]]], dict[RecordKey, SourceRecord]]:
        """Of ``changed``, those whose features are new or altered, with their features and
        blocking keys, and those whose features are as they were (a new owner or parent, a
        name in another case, a legal form added): nothing the resolver reads of these
        changed, and their new versions are kept where they are (:meth:`_restate`)."""
        country = self._settings.country_code
        altered: dict[RecordKey, tuple[Features, list[str]]] = {}
        unaltered: dict[RecordKey, SourceRecord] = {}
        for key, r in changed.items():
            made = features(r.record, country_code=country)
            found = key_list(made)
            old = self.records.get(key)
            if (  # other keys, other features: the old ones need not be made
                old is not None
                and found == old.block_keys
                and features(old.source.record, country_code=country) == made
            ):
                unaltered[key] = r
            else:
                altered[key] = (made, found)
        return altered, unaltered

    def _prepared(
        self, records: Sequence[Record], altered: dict[RecordKey, tuple[Features, list[str]]]
    ) -> Prepared:
        """The features and blocking keys of ``records``: the ``altered`` ones' as made, the
        others' features made again and their keys as stored."""
        country = self._settings.country_code
        feats: list[Features] = []
        found: list[list[str]] = []
        for record in records:
            key = (record.system, record.record_id)
            made = altered.get(key)
            if made is None:
                feats.append(features(record, country_code=country))
                found.append(self.records[key].block_keys)
            else:
                feats.append(made[0])
                found.append(made[1])
        return Prepared.of(feats, found)

    def _neighbours(self, blocks: Iterable[Sequence[str]]) -> set[RecordKey]:
        """Records sharing a specific blocking key with any of the records whose keys are
        ``blocks``, as the graph holds them now. Keys shared by more than
        :data:`NEIGHBOUR_BLOCK` records (a common surname's sound) are left out: a record's
        true matches share a specific key with it too (an address, a domain, a name as
        written), and re-resolving everyone called Smith for one changed Smith is what a
        refresh must not do."""
        return self._blocks.sharing((b for found in blocks for b in found), NEIGHBOUR_BLOCK)

    def _unindex(self, keys: Iterable[RecordKey]) -> None:
        kept = self.records
        self._blocks.remove((k, kept[k].block_keys) for k in keys if k in kept)

    def _store(
        self,
        ordered: Sequence[SourceRecord],
        resolution: Clustering | _Nothing,
        block_keys: Sequence[list[str]],
        at: datetime,
        changed: Mapping[RecordKey, bytes] | None = None,
        *,
        index: bool = True,
    ) -> Iterator[RecordRow]:
        """Keep ``ordered`` (with their blocking keys, in the same order) as resolved, and
        file the new and changed ones in the block index unless ``index`` is false (a build
        makes the index whole); the rows to write, stamped ``at``: of the records new,
        changed, or moved to another entity. Each record is kept as its row is taken (as
        it is written). ``changed`` holds the JSON (:meth:`_diff`) of those changed."""
        kept = self.records
        stamp = self._tables.stamp(at)
        entity_ids = resolution.entity_ids
        for r, found, entity_id in zip(ordered, block_keys, entity_ids, strict=True):
            record = r.record
            key = (record.system, record.record_id)  # r.key, without two property calls
            old = kept.get(key)
            if old is not None and (changed is None or key not in changed):
                if old.entity_id != entity_id:  # moved: its row changes
                    old.entity_id = entity_id
                    yield record_row(old, stamp)
                continue
            data = None if changed is None else changed.get(key)
            stored = StoredRecord(r, found, entity_id)
            if index:
                self._blocks.add(key, found)
            kept[key] = stored
            yield record_row(stored, stamp, data)

    def _restate(
        self,
        unaltered: dict[RecordKey, SourceRecord],
        dumped: Mapping[RecordKey, bytes],
        at: datetime,
    ) -> Iterator[RecordRow]:
        """Keep the new versions of ``unaltered`` records (changed, their features not; their
        JSON in ``dumped``) with their blocking keys and entity as they are; their rows,
        stamped ``at``, each kept as its row is taken."""
        kept = self.records
        stamp = self._tables.stamp(at)
        for key, r in unaltered.items():
            old = kept[key]
            kept[key] = stored = StoredRecord(r, old.block_keys, old.entity_id)
            yield record_row(stored, stamp, dumped[key])

    def _ordered(self, items: Iterable[_T], key: Callable[[_T], RecordKey]) -> list[_T]:
        """Records, or their keys (``key`` gives an item's record key), in one order
        everywhere (the account system's first, then by system and id), so an entity is
        named after the same record whether it was built or refreshed. Sorted system by
        system, by each item's id taken once: a million ids compare faster than as many
        (system, id) pairs, and a refresh sorts its records' keys without reading the
        records."""
        systems: defaultdict[str, list[tuple[str, _T]]] = defaultdict(list)
        for item in items:
            system, record_id = key(item)
            systems[system].append((record_id, item))
        account = self.account_system
        out: list[_T] = []
        for system in sorted(systems, key=lambda name: (name != account, name)):
            group = systems[system]
            group.sort(key=_FIRST)
            out += [item for _, item in group]
        return out

    def _known(self, records: Sequence[SourceRecord]) -> list[Override]:
        if not self.overrides:
            return []
        present = {r.key for r in records}
        return [o for o in self.overrides if o.left in present and o.right in present]

    def _judge(self) -> LinkJudge:
        return LinkJudge(self._models, self._settings)

    def _state(self) -> dict[str, str]:
        return {
            "format": t.FORMAT,
            "cursor": self._cursor,
            "account_system": self.account_system,
            "models": _MODELS.dump_json(self._models).decode(),
            "employees": _EMPLOYEES.dump_json(self.employees).decode(),
        }

    async def _write_state(self) -> None:
        await self._tables.write(
            records=(),
            removed=(),
            dropped_entities=(),
            entities=(),
            reviews=(),
            state=self._state(),
            at=self._clock.now(),
        )


def _key(key: RecordKey) -> RecordKey:
    return key


def _verdicts(overrides: Iterable[Override]) -> set[tuple[RecordKey, RecordKey, Verdict]]:
    return {(o.left, o.right, o.verdict) for o in overrides}


@dataclass(frozen=True)
class _Diff:
    """What a refresh's changes change (:meth:`IdentityGraph._diff`): records new or changed,
    with their JSON, and records removed."""

    changed: dict[RecordKey, SourceRecord]
    removed: set[RecordKey]
    dumped: dict[RecordKey, bytes]

    @property
    def size(self) -> int:
        return len(self.changed) + len(self.removed)


@dataclass(frozen=True)
class _Around:
    """What :meth:`IdentityGraph._around` found and made."""

    dropped: set[str]
    subset: set[RecordKey]
    ordered: list[SourceRecord]
    resolution: Clustering | _Nothing
    block_keys: list[list[str]]
    unaltered: dict[RecordKey, SourceRecord]


@dataclass(frozen=True)
class _Nothing:
    """What resolving no records gives."""

    clusters: tuple[Cluster, ...] = ()
    entity_ids: tuple[str, ...] = ()
    reviews: tuple[Review, ...] = ()

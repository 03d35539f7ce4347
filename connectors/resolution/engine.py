"""The resolver: records in, entities out.

Order of work: features → blocking (candidate pairs) → comparison levels → EM fit per kind →
bands by two probability thresholds → manual overrides (must-link / cannot-link) →
guarded clustering → entities with their links and evidence, and the pairs for review.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from connectors.resolution.blocking import (
    BlockingStats,
    KeyCodes,
    Pairs,
    all_pairs,
    code_keys,
    key_list,
    pairs_of_blocks,
)
from connectors.resolution.clustering import OverrideConflict, cluster
from connectors.resolution.columns import Columns
from connectors.resolution.features import Features, features
from connectors.resolution.linking import LinkBook, LinkJudge
from connectors.resolution.model import MatchModel
from connectors.resolution.records import Kind, Override, Record, RecordKey
from connectors.resolution.results import (
    Clustering,
    Resolution,
    ResolutionStats,
    Review,
)
from connectors.resolution.scoring import Scored, score_kind

KINDS: tuple[Kind, ...] = ("company", "person")


class ResolutionError(ValueError):
    """Input the resolver cannot work with; the message says what and which records."""


class ResolverSettings(BaseModel):
    """How the resolver decides. Thresholds are match probabilities: at or above
    ``match_threshold`` a pair is a match, at or above ``maybe_threshold`` a "maybe" for a
    person. A pair whose log2 Bayes factor is at most ``conflict_weight`` is a conflict the
    clustering never joins. ``across_systems_only`` compares only records of different systems:
    linking two sources rather than also deduplicating each. ``workers`` is how many threads
    compute string similarities (rapidfuzz's ``workers``): 1 leaves the other cores alone."""

    model_config = ConfigDict(frozen=True)

    match_threshold: float = Field(default=0.9, gt=0, lt=1)
    maybe_threshold: float = Field(default=0.5, gt=0, lt=1)
    conflict_weight: float = -8.0
    max_block: int = Field(default=200, ge=2)
    random_pairs: int = Field(default=20_000, ge=100)
    seed: int = 0
    update_u: bool = True
    country_code: str = "1"
    candidates: Literal["blocking", "all_pairs"] = "blocking"
    across_systems_only: bool = False
    workers: int = Field(default=1, ge=1)


@dataclass(frozen=True)
class Prepared:
    """What a run derives from each record before pairing, in the records' order: its
    features and its blocking keys (:func:`~connectors.resolution.blocking.key_list`),
    also as integers (:func:`~connectors.resolution.blocking.code_keys`), which blocking
    sorts into blocks and the identity graph keeps as its index of who shares a key."""

    features: list[Features]
    keys: list[list[str]]
    coded: KeyCodes

    @classmethod
    def of(cls, feats: list[Features], found: list[list[str]] | None = None) -> Prepared:
        """What :meth:`Resolver.prepare` gives for records whose features are ``feats``;
        ``found``, their blocking keys when the caller kept them (a refresh, for records
        resolved again as they were)."""
        if found is None:
            found = [key_list(f) for f in feats]
        return cls(feats, found, code_keys(found))


class Resolver:
    """Resolves records into entities with :class:`ResolverSettings`; ``models`` (per kind)
    skips the EM fit and scores with given parameters."""

    def __init__(
        self,
        settings: ResolverSettings | None = None,
        *,
        models: dict[Kind, MatchModel] | None = None,
    ) -> None:
        self.settings = settings or ResolverSettings()
        self._models = dict(models or {})
        if self.settings.maybe_threshold > self.settings.match_threshold:
            raise ResolutionError("the maybe threshold must not be above the match threshold")

    def prepare(self, records: Sequence[Record]) -> Prepared:
        """The features and blocking keys of ``records``, for :meth:`resolve` (a caller that
        keeps the keys, as the identity graph does, computes them once)."""
        with paused_gc():
            country = self.settings.country_code
            return Prepared.of([features(r, country_code=country) for r in records])

    def resolve(
        self,
        records: Sequence[Record],
        overrides: Sequence[Override] = (),
        *,
        prepared: Prepared | None = None,
    ) -> Resolution:
        """Entities for ``records``; ``overrides`` win over the model; ``prepared`` is what
        :meth:`prepare` gave for these records, if it was called."""
        with paused_gc():
            made, judge = self._cluster(records, overrides, prepared)
            entities = tuple(judge.entity(c) for c in made.clusters)
            return Resolution(
                entities=entities, reviews=made.reviews, models=made.models, stats=made.stats
            )

    def cluster(
        self,
        records: Sequence[Record],
        overrides: Sequence[Override] = (),
        *,
        prepared: Prepared | None = None,
    ) -> Clustering:
        """What :meth:`resolve` gives, with each entity a :class:`Cluster` (its links as
        comparison vectors, explained by a :class:`LinkJudge` with the models when asked):
        for a caller that keeps millions of entities and reads few, the identity graph."""
        with paused_gc():
            return self._cluster(records, overrides, prepared)[0]

    def _cluster(
        self, records: Sequence[Record], overrides: Sequence[Override], prepared: Prepared | None
    ) -> tuple[Clustering, LinkJudge]:
        index = _index(records)
        if prepared is None:
            feats = [features(r, country_code=self.settings.country_code) for r in records]
        elif len(prepared.features) != len(records):
            raise ResolutionError("the prepared features are not those of these records")
        else:
            feats = prepared.features
        columns = Columns(feats, workers=self.settings.workers)
        pairs, blocking = self._candidates(records, feats, prepared, columns)
        scored = [self._score(feats, columns, pairs, kind) for kind in KINDS]
        must, cannot = _overrides(overrides, index, records)
        book = LinkBook(records, feats, scored, self.settings, list(index))
        links = book.match_pairs(exclude=set(must) | set(cannot))
        try:
            clusters, refused = cluster(
                len(records),
                links,
                must=must,
                cannot=cannot,
                conflicts=book.conflicts(self.settings.conflict_weight, exclude=set(must)),
            )
        except OverrideConflict as err:
            left, right = records[err.left].key, records[err.right].key
            raise ResolutionError(
                f"{left} and {right} are marked the same, but a 'not same' override keeps "
                "them apart (through the records they are linked to)"
            ) from err
        made, entity_ids = book.clusters(clusters.groups(), must)
        reviews = book.reviews(clusters.find, [links[i] for i in refused], set(must) | set(cannot))
        stats = _stats(records, blocking, book, len(refused), len(made), reviews)
        models = {s.kind: s.model for s in scored}
        return Clustering(made, entity_ids, reviews, models, stats), book.judge

    def _candidates(
        self,
        records: Sequence[Record],
        feats: list[Features],
        prepared: Prepared | None,
        columns: Columns,
    ) -> tuple[Pairs, BlockingStats]:
        across = self.settings.across_systems_only
        if self.settings.candidates == "blocking":
            groups = _systems(records) if across else None
            coded = (prepared or Prepared.of(feats)).coded
            companies = np.fromiter((f.kind == "company" for f in feats), bool, len(feats))
            names = np.where(companies, columns.company_squashed.codes, -1)
            return pairs_of_blocks(coded, len(records), self.settings.max_block, groups, names)
        pairs, blocking = self._all_pairs(feats)
        return _across_systems(records, pairs, blocking) if across else (pairs, blocking)

    def _all_pairs(self, feats: list[Features]) -> tuple[Pairs, BlockingStats]:
        chunks = []
        for kind in KINDS:
            ids = np.asarray([i for i, f in enumerate(feats) if f.kind == kind], dtype=np.int64)
            chunks.append(ids[all_pairs(len(ids))])
        pairs = np.concatenate(chunks)
        stats = BlockingStats(0, 0, 0, 0, 0, len(pairs))
        return pairs, stats

    def _score(self, feats: list[Features], columns: Columns, pairs: Pairs, kind: Kind) -> Scored:
        s = self.settings
        return score_kind(
            feats,
            pairs,
            kind,
            sample=s.random_pairs,
            seed=s.seed,
            update_u=s.update_u,
            model=self._models.get(kind),
            columns=columns,
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for a block that allocates a great many objects
    that all live to its end (records, features, links, entities): each of its full passes
    walks every object alive, so a run of 100,000 records would pay for walking them again
    and again. Reference counting still frees what is dropped; a collector someone else
    paused stays paused."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def lasting() -> Iterator[None]:
    """For a block that makes what lives on long after it (a graph's build or load, the
    directory's lookups: millions of records, entities, links and aliases): the cyclic
    collector paused meanwhile (:func:`paused_gc`), and what the block made moved out of its
    reach (``gc.freeze``) before it is back on. Otherwise the collector's next full passes,
    the first one at once, walk every one of them, a second or more at a million records,
    holding every thread (a served directory's event loop too). Reference counting still
    frees what is frozen once nothing holds it."""
    with paused_gc():
        yield
        gc.freeze()


def _systems(records: Sequence[Record]) -> npt.NDArray[np.int64]:
    """A number per record, one per system."""
    codes: dict[str, int] = {}
    code = codes.setdefault
    return np.asarray([code(r.system, len(codes)) for r in records], dtype=np.int64)


def _across_systems(
    records: Sequence[Record], pairs: Pairs, blocking: BlockingStats
) -> tuple[Pairs, BlockingStats]:
    system = _systems(records)
    kept = pairs[system[pairs[:, 0]] != system[pairs[:, 1]]] if len(pairs) else pairs
    return kept, replace(blocking, candidate_pairs=len(kept))


def _index(records: Sequence[Record]) -> dict[RecordKey, int]:
    found = list(map(_KEY, records))  # record.key, without a Python call per record
    index = dict(zip(found, range(len(found)), strict=True))
    if len(index) < len(found):
        seen: set[RecordKey] = set()
        for key in found:
            if key in seen:
                raise ResolutionError(f"record {key} appears twice")
            seen.add(key)
    return index


_KEY = attrgetter("system", "record_id")


def _overrides(
    overrides: Sequence[Override], index: dict[RecordKey, int], records: Sequence[Record]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    must: list[tuple[int, int]] = []
    cannot: list[tuple[int, int]] = []
    for o in overrides:
        unknown = [k for k in (o.left, o.right) if k not in index]
        if unknown:
            raise ResolutionError(f"an override names a record that is not there: {unknown[0]}")
        a, b = sorted((index[o.left], index[o.right]))
        if records[a].kind != records[b].kind:
            raise ResolutionError(f"{o.left} and {o.right} are not the same kind of record")
        (must if o.verdict == "same" else cannot).append((a, b))
    both = set(must) & set(cannot)
    if both:
        a, b = min(both)
        raise ResolutionError(f"{records[a].key} and {records[b].key} are both same and not same")
    return must, cannot


def _stats(
    records: Sequence[Record],
    blocking: BlockingStats,
    book: LinkBook,
    refused: int,
    entities: int,
    reviews: tuple[Review, ...],
) -> ResolutionStats:
    return ResolutionStats(
        records=len(records),
        candidate_pairs=blocking.candidate_pairs,
        blocks=blocking.blocks,
        skipped_blocks=blocking.skipped_blocks,
        records_in_skipped_blocks=blocking.records_in_skipped_blocks,
        largest_block=blocking.largest_block,
        matches=book.count("match"),
        maybes=sum(1 for r in reviews if r.reason == "maybe"),
        refused_merges=refused,
        entities=entities,
    )

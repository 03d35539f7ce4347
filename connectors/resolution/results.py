"""What resolution answers: entities with their records, how confident, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from connectors.resolution.model import MatchModel
from connectors.resolution.records import Kind, RecordKey

Band = Literal["match", "maybe", "non_match"]
LinkSource = Literal["model", "override"]
M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(model: type[M], values: dict[str, Any]) -> M:
    """A ``model`` (one without private attributes or a post-init hook) from ``values`` that
    are valid already and name every field: what ``model_construct`` makes of them, without
    its walk over the fields for aliases and defaults, which a build of 100,000 entities and
    their links pays seconds for."""
    made = model.__new__(model)
    _set(made, "__dict__", values)
    _set(made, "__pydantic_fields_set__", set(values))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


class Evidence(BaseModel):
    """One comparison of a pair: the level it reached and that level's match weight."""

    model_config = ConfigDict(frozen=True)

    field: str
    level: str
    weight: float


class Link(BaseModel):
    """Two records judged the same (or possibly the same), and the evidence.

    ``probability`` is the model's match probability (1.0 for a "same" override, whose
    evidence is still the model's); ``bayes_factor`` the log2 sum of the match weights."""

    model_config = ConfigDict(frozen=True)

    left: RecordKey
    right: RecordKey
    probability: float
    bayes_factor: float
    band: Band
    source: LinkSource
    evidence: tuple[Evidence, ...]

    @property
    def agreed(self) -> list[str]:
        """The fields that spoke for the match (positive weight), e.g. ``"email=domain"``."""
        return [f"{e.field}={e.level}" for e in self.evidence if e.weight > 0]


class Entity(BaseModel):
    """One person or company across systems. ``confidence`` is its weakest link's
    probability (1.0 for a single record); ``links`` are the pairs that made it, strongest
    first."""

    model_config = ConfigDict(frozen=True)

    entity_id: str
    kind: Kind
    records: tuple[RecordKey, ...]
    confidence: float
    links: tuple[Link, ...]


LinkRef = tuple[int, int, LinkSource, tuple[int, ...]]
"""A link inside a :class:`Cluster`: its two records (positions in the cluster's records),
how it was made, and the pair's comparison vector (a level per comparison, ``-1`` for
missing), from which the model explains it."""


@dataclass(slots=True)
class Cluster:
    """An entity with its links as comparison vectors rather than explained: what the
    identity graph keeps (a few tuples where an :class:`Entity` holds a model per link and
    per piece of evidence) and stores. :meth:`LinkJudge.entity
    <connectors.resolution.linking.LinkJudge.entity>` makes the :class:`Entity` with the
    fitted models. Made once and never changed (not frozen: a frozen dataclass sets each
    field through ``object.__setattr__``, four times the cost of making one, and a build
    makes one per entity, hundreds of thousands)."""

    entity_id: str
    kind: Kind
    records: tuple[RecordKey, ...]
    confidence: float
    links: tuple[LinkRef, ...]


class Review(BaseModel):
    """A pair for a person to decide: a "maybe", or a match the chaining guard refused."""

    model_config = ConfigDict(frozen=True)

    link: Link
    reason: Literal["maybe", "refused_merge"]


class ResolutionStats(BaseModel):
    """How the run went: blocking, bands, and the guard."""

    model_config = ConfigDict(frozen=True)

    records: int
    candidate_pairs: int
    blocks: int
    skipped_blocks: int
    records_in_skipped_blocks: int
    largest_block: int
    matches: int
    maybes: int
    refused_merges: int
    entities: int


class Resolution(BaseModel):
    """Entities, the pairs left for review, the fitted models (one per kind) and stats."""

    model_config = ConfigDict(frozen=True)

    entities: tuple[Entity, ...]
    reviews: tuple[Review, ...]
    models: dict[Kind, MatchModel]
    stats: ResolutionStats

    def entity_of(self, key: RecordKey) -> Entity | None:
        """The entity that holds record ``key``."""
        return next((e for e in self.entities if key in e.records), None)


@dataclass(frozen=True)
class Clustering:
    """What :meth:`Resolver.cluster <connectors.resolution.Resolver.cluster>` gives: a
    :class:`Resolution` with clusters for entities, and each record's entity (its id, in the
    records' order)."""

    clusters: tuple[Cluster, ...]
    entity_ids: list[str]
    reviews: tuple[Review, ...]
    models: dict[Kind, MatchModel]
    stats: ResolutionStats

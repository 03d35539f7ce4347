"""The scored pairs as links: which are matches, which conflict, and the evidence of each,
turned into clusters and review items once clustering has run; and the judge that explains
a link from its comparison vector."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from connectors.resolution.blocking import Pairs
from connectors.resolution.clustering import components
from connectors.resolution.compare import compare, comparisons_for
from connectors.resolution.features import Features
from connectors.resolution.model import Floats, Levels, MatchModel
from connectors.resolution.records import Kind, Record, RecordKey
from connectors.resolution.results import (
    Band,
    Cluster,
    Entity,
    Evidence,
    Link,
    LinkRef,
    LinkSource,
    Review,
    trusted,
)
from connectors.resolution.scoring import Scored

if TYPE_CHECKING:
    from connectors.resolution.engine import ResolverSettings

Pair = tuple[int, int]
Bools = npt.NDArray[np.bool_]
Vector = tuple[int, ...]
"""A pair's comparison vector: a level per comparison, ``-1`` for missing."""
_Judged = tuple[tuple[Evidence, ...], float, float, Band]
"""A comparison vector's evidence, Bayes factor, probability and band."""


class LinkJudge:
    """Links explained from their comparison vectors with the fitted models (one per kind):
    evidence, Bayes factor, probability and band. A run's links show a few hundred vectors,
    so each is worked out once."""

    def __init__(self, models: Mapping[Kind, MatchModel], settings: ResolverSettings) -> None:
        self._models, self._settings = dict(models), settings
        self._evidence = {kind: _evidence_table(m) for kind, m in self._models.items()}
        self._judged: dict[tuple[Kind, tuple[int, ...]], _Judged] = {}

    def judge(self, kind: Kind, levels: tuple[int, ...]) -> _Judged:
        """The evidence, Bayes factor, probability and band of a comparison vector."""
        judged = self._judged.get((kind, levels))
        if judged is not None:
            return judged
        table = self._evidence[kind]
        evidence = tuple(table[k][level] for k, level in enumerate(levels) if level >= 0)
        bf = sum(e.weight for e in evidence)
        prob = self._models[kind].probability(bf)
        band: Band = "match" if prob >= self._settings.match_threshold else "maybe"
        if prob < self._settings.maybe_threshold:
            band = "non_match"
        judged = (evidence, bf, prob, band)
        self._judged[(kind, levels)] = judged
        return judged

    def probability(self, kind: Kind, levels: tuple[int, ...], source: LinkSource) -> float:
        """A link's probability: the model's, or 1.0 for a person's "same"."""
        return 1.0 if source == "override" else self.judge(kind, levels)[2]

    def link(
        self,
        kind: Kind,
        left: RecordKey,
        right: RecordKey,
        levels: tuple[int, ...],
        source: LinkSource,
    ) -> Link:
        """The link between two records with the model's evidence for it."""
        evidence, bf, prob, band = self.judge(kind, levels)
        values = {  # from validated records and the model
            "left": left,
            "right": right,
            "probability": 1.0 if source == "override" else prob,
            "bayes_factor": bf,
            "band": band,
            "source": source,
            "evidence": evidence,
        }
        return trusted(Link, values)

    def entity(self, cluster: Cluster) -> Entity:
        """``cluster`` with its links explained."""
        records, kind = cluster.records, cluster.kind
        links = tuple(
            self.link(kind, records[a], records[b], levels, source)
            for a, b, source, levels in cluster.links
        )
        values = {  # from a cluster this judge's models made
            "entity_id": cluster.entity_id,
            "kind": kind,
            "records": records,
            "confidence": cluster.confidence,
            "links": links,
        }
        return trusted(Entity, values)


class LinkBook:
    """Every scored candidate pair of a run, by band, with what each link needs to explain
    itself; ``keys`` are the records' keys, in order, when the caller has them."""

    def __init__(
        self,
        records: Sequence[Record],
        feats: Sequence[Features],
        scored: Sequence[Scored],
        settings: ResolverSettings,
        keys: Sequence[RecordKey] | None = None,
    ) -> None:
        self._records, self._feats, self._settings = records, feats, settings
        self._keys = [r.key for r in records] if keys is None else keys
        self.judge = LinkJudge({s.kind: s.model for s in scored}, settings)
        match_at, maybe_at = settings.match_threshold, settings.maybe_threshold
        found: dict[Band, list[tuple[Pairs, Floats, list[Vector]]]] = {"match": [], "maybe": []}
        weak_pairs: list[Pairs] = []
        weak_factors: list[Floats] = []
        for s in scored:
            # A pair whose every field is missing on one side has no evidence; the prior
            # alone (high among candidates) must not make it a match.
            strong = (s.probabilities >= maybe_at) & (s.levels >= 0).any(axis=1)
            match = s.probabilities >= match_at
            found["match"].append(_chosen(s, strong & match))
            found["maybe"].append(_chosen(s, strong & ~match))
            weak = s.bayes_factors <= settings.conflict_weight
            weak_pairs.append(s.pairs[weak])
            weak_factors.append(s.bayes_factors[weak])
        # Kept as arrays: a run has millions, and :meth:`conflicts` keeps a few of them.
        self._weak = (_stacked(weak_pairs), np.concatenate([np.empty(0), *weak_factors]))
        self._bands = {band: _Band.of(parts) for band, parts in found.items()}
        self._bands["non_match"] = _Band.of([])  # not kept

    def count(self, band: Band) -> int:
        """How many scored pairs fell in ``band`` (non-matches are not kept)."""
        return len(self._bands[band].pairs)

    def match_pairs(self, *, exclude: set[Pair]) -> list[Pair]:
        """Matched pairs, strongest (highest Bayes factor) first, without overridden ones."""
        return [p for p in self._bands["match"].pairs if p not in exclude]

    def conflicts(self, weight: float, *, exclude: set[Pair]) -> list[Pair]:
        """Pairs the model judged strong non-matches (Bayes factor at most ``weight``), between
        records that the links and overrides connect: a conflict between two records no chain
        of links joins can never stop a merge, so it is left out (most are)."""
        forced = np.asarray(sorted(exclude), dtype=np.int64).reshape(-1, 2)
        linked = _stacked([self._bands["match"].array, forced])
        component = components(len(self._records), linked)
        pairs, factors = self._weak
        kept = (factors <= weight) & (component[pairs[:, 0]] == component[pairs[:, 1]])
        return [p for p in map(tuple, pairs[kept].tolist()) if p not in exclude]

    def _vector(self, pair: Pair) -> Vector:
        """The comparison vector of one pair, compared now (the same levels the columns
        give): for the few pairs not met in a band's order, a person's "same" or a refused
        merge."""
        a, b = pair
        kind = self._feats[a].kind
        return tuple(compare(self._feats[a], self._feats[b], comparisons_for(kind)))

    def link(self, pair: Pair, source: LinkSource, vector: Vector | None = None) -> Link:
        """The link between two records with the model's evidence for it."""
        a, b = pair
        kind = self._feats[a].kind
        levels = self._vector(pair) if vector is None else vector
        return self.judge.link(kind, self._keys[a], self._keys[b], levels, source)

    def clusters(
        self, groups: Sequence[list[int]], must: Sequence[Pair]
    ) -> tuple[tuple[Cluster, ...], list[str]]:
        """One cluster per group of records (``groups``, every record in one, each sorted),
        with the links inside it (overrides first, then the model's, strongest first); and
        each record's entity id, in order. Which group and place each record has, and which
        matched pairs fall inside a group, are worked out over whole arrays."""
        count = len(self._records)
        group_of, position = _placed(groups, count)
        inside = self._inside(group_of, position, must)
        made = tuple(self._cluster(g, inside.get(n)) for n, g in enumerate(groups))
        ids = [c.entity_id for c in made]
        return made, [ids[n] for n in group_of.tolist()]

    def _inside(
        self, group_of: npt.NDArray[np.int64], position: npt.NDArray[np.int64], must: Sequence[Pair]
    ) -> dict[int, tuple[list[LinkRef], float]]:
        """The links inside each group, by group: each as its records' places in the group,
        how it was made and its comparison vector; and the group's confidence, its weakest
        link's probability (a person's "same" is 1.0). The pairs share a few hundred vectors
        (:func:`_vectors`), each judged once."""
        inside: dict[int, tuple[list[LinkRef], float]] = {}
        for a, b in must:
            n, place = int(group_of[a]), (int(position[a]), int(position[b]))
            links, low = inside.get(n, ([], 1.0))
            links.append((*place, "override", self._vector((a, b))))
            inside[n] = (links, low)
        match = self._bands["match"]
        pairs = match.array
        if not len(pairs):
            return inside
        left, right = pairs[:, 0], pairs[:, 1]
        kept = group_of[left] == group_of[right]
        if must:
            width = len(group_of)
            forced = np.asarray([a * width + b for a, b in must], dtype=np.int64)
            kept &= ~np.isin(left * width + right, forced)
        chosen = np.flatnonzero(kept)
        vectors, feats, judge = match.vectors, self._feats, self.judge.judge
        judged: dict[int, float] = {}  # by the vector's identity: equal vectors are one
        for n, first, a, b, i in zip(
            group_of[left[chosen]].tolist(),
            left[chosen].tolist(),
            position[left[chosen]].tolist(),
            position[right[chosen]].tolist(),
            chosen.tolist(),
            strict=True,
        ):
            vector = vectors[i]
            p = judged.get(id(vector))
            if p is None:
                p = judged[id(vector)] = judge(feats[first].kind, vector)[2]
            found = inside.get(n)
            if found is None:
                inside[n] = ([(a, b, "model", vector)], min(p, 1.0))
            else:
                found[0].append((a, b, "model", vector))
                if p < found[1]:
                    inside[n] = (found[0], p)
        return inside

    def _cluster(self, group: list[int], inside: tuple[list[LinkRef], float] | None) -> Cluster:
        first = self._records[group[0]]
        kind, keys = first.kind, self._keys
        entity_id = f"{kind}:{first.system}:{first.record_id}"
        if len(group) == 1:
            return Cluster(entity_id, kind, (keys[group[0]],), 1.0, ())
        links, confidence = inside or ([], 1.0)
        records = tuple(map(keys.__getitem__, group))
        return Cluster(entity_id, kind, records, confidence, tuple(links))

    def reviews(
        self, root: Callable[[int], int], refused: Sequence[Pair], overridden: set[Pair]
    ) -> tuple[Review, ...]:
        """Maybes between different entities, then matches the chaining guard refused."""
        maybe = self._bands["maybe"]
        out = [
            Review(link=self.link(p, "model", vector), reason="maybe")
            for p, vector in zip(maybe.pairs, maybe.vectors, strict=True)
            if p not in overridden and root(p[0]) != root(p[1])
        ]
        out += [Review(link=self.link(p, "model"), reason="refused_merge") for p in refused]
        return tuple(out)


@dataclass(frozen=True)
class _Band:
    """The pairs of one band, strongest (highest Bayes factor) first, then by pair, each with
    its comparison vector; ``array`` holds the same pairs, in the same order."""

    pairs: list[Pair]
    vectors: list[Vector]
    array: Pairs

    @classmethod
    def of(cls, parts: Sequence[tuple[Pairs, Floats, list[Vector]]]) -> _Band:
        """The band of every kind's ``(pairs, bayes factors, vectors)``."""
        pairs = _stacked([p for p, _, _ in parts])
        factors = np.concatenate([np.empty(0), *(f for _, f, _ in parts)])
        vectors = [v for _, _, found in parts for v in found]
        order = np.lexsort((pairs[:, 1], pairs[:, 0], -factors))
        ordered = pairs[order]
        kept = [vectors[i] for i in order.tolist()]
        return cls(list(map(tuple, ordered.tolist())), kept, ordered)


def _placed(
    groups: Sequence[list[int]], count: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each of ``count`` records' group (its index in ``groups``) and place in its group."""
    sizes = np.fromiter(map(len, groups), np.int64, len(groups))
    members = np.fromiter(chain.from_iterable(groups), np.int64, count)
    starts = np.cumsum(sizes) - sizes
    group_of = np.empty(count, dtype=np.int64)
    group_of[members] = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
    position = np.empty(count, dtype=np.int64)
    position[members] = np.arange(count, dtype=np.int64) - np.repeat(starts, sizes)
    return group_of, position


def _stacked(parts: Sequence[Pairs]) -> Pairs:
    """``parts`` (arrays of pairs) one after the other; none, no pairs."""
    return np.concatenate([np.empty((0, 2), dtype=np.int64), *parts])


def _chosen(s: Scored, mask: Bools) -> tuple[Pairs, Floats, list[Vector]]:
    return s.pairs[mask], s.bayes_factors[mask], _vectors(s.levels[mask])


def _vectors(levels: Levels) -> list[Vector]:
    """Each row of ``levels`` as a tuple, equal rows one tuple: a run's pairs show a few
    hundred vectors, which every link then shares."""
    if not len(levels):
        return []
    # Each row read as one number (its levels, each 0 for missing and up, as digits), which
    # sorts far faster than rows do.
    digits = levels.astype(np.int64) + 1
    base = int(digits.max()) + 1
    if base ** levels.shape[1] >= 2**62:
        rows, inverse = np.unique(levels, axis=0, return_inverse=True)
    else:
        codes = digits @ (base ** np.arange(levels.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        rows = levels[first]
    table = [tuple(row) for row in rows.tolist()]
    return [table[i] for i in inverse.reshape(-1).tolist()]


def _evidence_table(model: MatchModel) -> list[list[Evidence]]:
    """The evidence of every field at every level, made once per run: a link's evidence is a
    lookup, and links share these (immutable) objects."""
    return [
        [
            Evidence(field=f.name, level=name, weight=w)
            for name, w in zip(f.levels, f.weights(), strict=True)
        ]
        for f in model.fields
    ]

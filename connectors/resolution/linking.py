"""The scored pairs as links: which are matches, which conflict, and the evidence of each,
turned into clusters and review items once clustering has run; and the judge that explains
a link from its comparison vector."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from connectors.resolution.compare import compare, comparisons_for
from connectors.resolution.features import Features
from connectors.resolution.model import MatchModel
from connectors.resolution.records import Kind, Record, RecordKey
from connectors.resolution.results import (
    Band,
    Cluster,
    Entity,
    Evidence,
    Link,
    LinkSource,
    Review,
    trusted,
)
from connectors.resolution.scoring import Scored

if TYPE_CHECKING:
    from connectors.resolution.engine import ResolverSettings

Pair = tuple[int, int]
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
        self._scored: dict[Pair, tuple[float, float]] = {}
        self._levels: dict[Pair, tuple[int, ...]] = {}
        self._bands: dict[Band, list[Pair]] = {"match": [], "maybe": [], "non_match": []}
        self._conflict_pairs: list[tuple[Pair, float]] = []
        for s in scored:
            self._add(s)
        self._bands["match"].sort(key=lambda p: (-self._scored[p][1], p))

    def _add(self, s: Scored) -> None:
        match_at, maybe_at = self._settings.match_threshold, self._settings.maybe_threshold
        # A pair whose every field is missing on one side has no evidence; the prior alone
        # (high among candidates) must not make it a match.
        strong = (s.probabilities >= maybe_at) & (s.levels >= 0).any(axis=1)
        for (a, b), prob, bf, levels in zip(
            s.pairs[strong].tolist(),
            s.probabilities[strong].tolist(),
            s.bayes_factors[strong].tolist(),
            map(tuple, s.levels[strong].tolist()),
            strict=True,
        ):
            self._scored[(a, b)] = (prob, bf)
            self._levels[(a, b)] = levels
            self._bands["match" if prob >= match_at else "maybe"].append((a, b))
        weak = s.bayes_factors <= self._settings.conflict_weight
        self._conflict_pairs += [
            ((a, b), float(bf))
            for (a, b), bf in zip(s.pairs[weak].tolist(), s.bayes_factors[weak], strict=True)
        ]

    def count(self, band: Band) -> int:
        """How many scored pairs fell in ``band`` (non-matches are not kept)."""
        return len(self._bands[band])

    def match_pairs(self, *, exclude: set[Pair]) -> list[Pair]:
        """Matched pairs, strongest (highest Bayes factor) first, without overridden ones."""
        return [p for p in self._bands["match"] if p not in exclude]

    def conflicts(self, weight: float, *, exclude: set[Pair]) -> list[Pair]:
        """Pairs the model judged strong non-matches (Bayes factor at most ``weight``), between
        records that the links and overrides connect: a conflict between two records no chain
        of links joins can never stop a merge, so it is left out (most are)."""
        component = _components(len(self._records), [*self._bands["match"], *exclude])
        return [
            p
            for p, bf in self._conflict_pairs
            if bf <= weight and p not in exclude and component[p[0]] == component[p[1]]
        ]

    def _vector(self, pair: Pair) -> tuple[int, ...]:
        """The comparison vector of a pair (one blocking never paired, a person's "same",
        is compared now)."""
        levels = self._levels.get(pair)
        if levels is None:
            a, b = pair
            kind = self._feats[a].kind
            levels = tuple(compare(self._feats[a], self._feats[b], comparisons_for(kind)))
        return levels

    def link(self, pair: Pair, source: LinkSource) -> Link:
        """The link between two records with the model's evidence for it."""
        a, b = pair
        kind = self._feats[a].kind
        return self.judge.link(kind, self._keys[a], self._keys[b], self._vector(pair), source)

    def clusters(self, groups: Sequence[list[int]], must: Sequence[Pair]) -> tuple[Cluster, ...]:
        """One cluster per group of records (``groups``, every record in one), with the
        links inside it (overrides first)."""
        group_of = [0] * len(self._records)
        for n, group in enumerate(groups):
            for i in group:
                group_of[i] = n
        inside: defaultdict[int, list[tuple[Pair, LinkSource]]] = defaultdict(list)
        for p in must:
            inside[group_of[p[0]]].append((p, "override"))
        forced = set(must)
        for p in self._bands["match"]:
            n = group_of[p[0]]
            if n == group_of[p[1]] and p not in forced:
                inside[n].append((p, "model"))
        return tuple(self._cluster(g, inside.get(n, [])) for n, g in enumerate(groups))

    def _cluster(self, group: list[int], pairs: list[tuple[Pair, LinkSource]]) -> Cluster:
        first = self._records[group[0]]
        kind, keys = first.kind, self._keys
        if len(group) == 1:
            entity_id = f"{kind}:{first.system}:{first.record_id}"
            return Cluster(entity_id, kind, (keys[group[0]],), 1.0, ())
        at = {i: n for n, i in enumerate(group)}
        probability = self.judge.probability
        links = []
        confidence = 1.0
        for p, source in pairs:
            levels = self._vector(p)
            confidence = min(confidence, probability(kind, levels, source))
            links.append((at[p[0]], at[p[1]], source, levels))
        return Cluster(
            f"{kind}:{first.system}:{first.record_id}",
            kind,
            tuple([keys[i] for i in group]),
            confidence,
            tuple(links),
        )

    def reviews(
        self, root: Callable[[int], int], refused: Sequence[Pair], overridden: set[Pair]
    ) -> tuple[Review, ...]:
        """Maybes between different entities, then matches the chaining guard refused."""
        maybes = [
            p for p in self._bands["maybe"] if p not in overridden and root(p[0]) != root(p[1])
        ]
        maybes.sort(key=lambda p: (-self._scored[p][1], p))
        out = [Review(link=self.link(p, "model"), reason="maybe") for p in maybes]
        out += [Review(link=self.link(p, "model"), reason="refused_merge") for p in refused]
        return tuple(out)


def _components(count: int, pairs: Sequence[Pair]) -> list[int]:
    """Each record's connected component (a root index) in the graph of ``pairs``."""
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return [find(i) for i in range(count)]


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

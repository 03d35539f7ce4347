"""The scored pairs as links: which are matches, which conflict, and the evidence of each,
turned into entities and review items once clustering has run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from connectors.resolution.compare import compare, comparisons_for
from connectors.resolution.features import Features
from connectors.resolution.model import MatchModel
from connectors.resolution.records import Kind, Record, RecordKey
from connectors.resolution.results import (
    Band,
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
        self._models = {s.kind: s.model for s in scored}
        self._evidence = {kind: _evidence_table(m) for kind, m in self._models.items()}
        self._scored: dict[Pair, tuple[float, float]] = {}
        self._levels: dict[Pair, list[int]] = {}
        self._bands: dict[Band, list[Pair]] = {"match": [], "maybe": [], "non_match": []}
        self._conflict_pairs: list[tuple[Pair, float]] = []
        self._judged: dict[tuple[Kind, tuple[int, ...]], _Judged] = {}
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
            s.levels[strong].tolist(),
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

    def link(self, pair: Pair, source: LinkSource) -> Link:
        """The link between two records with the model's evidence for it."""
        a, b = pair
        kind = self._feats[a].kind
        levels = self._levels.get(pair)
        if levels is None:
            levels = compare(self._feats[a], self._feats[b], comparisons_for(kind))
        judged = self._judged.get((kind, tuple(levels)))
        if judged is None:
            judged = self._judge(kind, levels)
        evidence, bf, prob, band = judged
        values = {  # from validated records and the model
            "left": self._keys[a],
            "right": self._keys[b],
            "probability": 1.0 if source == "override" else prob,
            "bayes_factor": bf,
            "band": band,
            "source": source,
            "evidence": evidence,
        }
        return trusted(Link, values)

    def _judge(self, kind: Kind, levels: Sequence[int]) -> _Judged:
        """The evidence, Bayes factor, probability and band of a comparison vector, kept:
        a run's links show a few hundred vectors, so each is worked out once."""
        table = self._evidence[kind]
        evidence = tuple(table[k][level] for k, level in enumerate(levels) if level >= 0)
        bf = sum(e.weight for e in evidence)
        prob = self._models[kind].probability(bf)
        band: Band = "match" if prob >= self._settings.match_threshold else "maybe"
        if prob < self._settings.maybe_threshold:
            band = "non_match"
        judged = (evidence, bf, prob, band)
        self._judged[(kind, tuple(levels))] = judged
        return judged

    def entities(self, groups: Sequence[list[int]], must: Sequence[Pair]) -> tuple[Entity, ...]:
        """One entity per cluster (``groups``, every record in one), with the links inside
        it (overrides first)."""
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
        return tuple(self._entity(g, inside.get(n, [])) for n, g in enumerate(groups))

    def _entity(self, group: list[int], pairs: list[tuple[Pair, LinkSource]]) -> Entity:
        links = [self.link(p, source) for p, source in pairs]
        first = self._records[group[0]]
        keys = self._keys
        values = {  # from validated records and links
            "entity_id": f"{first.kind}:{first.system}:{first.record_id}",
            "kind": first.kind,
            "records": tuple([keys[i] for i in group]),
            "confidence": min((link.probability for link in links), default=1.0),
            "links": tuple(links),
        }
        return trusted(Entity, values)

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

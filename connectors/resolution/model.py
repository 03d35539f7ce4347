"""The match model: Fellegi–Sunter, with no hand labels.

For each comparison level, ``m`` is how often true matches show it and ``u`` how often
non-matches do; a level's match weight is ``log2(m / u)`` (kept monotone, see
:func:`monotone`) and a pair's Bayes factor is the sum
over its comparisons (a missing field adds 0). ``u`` is seeded from random pairs (almost all
non-matches), ``m`` from a prior that favours agreement; expectation–maximisation over the
candidate pairs then re-estimates ``m``, ``u`` and the share of matches ``λ`` until no
parameter moves by more than ``tol``. The seed stays in every ``u`` re-estimate as
``u_prior`` pseudo-pairs, which anchors the non-match class when the candidates are few
and mostly matches. A pair's match probability is
``1 / (1 + 2 ** -(log2(λ / (1 - λ)) + bayes factor))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from connectors.resolution.compare import Comparison

Levels = npt.NDArray[np.int8]
"""``(pairs, comparisons)`` comparison levels, ``-1`` for missing."""
Floats = npt.NDArray[np.float64]
SMOOTHING = 0.1  # pseudo-count per level, so no level is ever impossible


class FieldModel(BaseModel):
    """One comparison's fitted parameters, level by level (best first)."""

    model_config = ConfigDict(frozen=True)

    name: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]

    def weights(self) -> tuple[float, ...]:
        """Each level's match weight, ``log2(m / u)`` made monotone (see :func:`monotone`)."""
        return self._weights

    @cached_property
    def _weights(self) -> tuple[float, ...]:
        return _floats(monotone(np.asarray(self.m), np.asarray(self.u)))

    def weight(self, level: int) -> float:
        """The match weight of ``level``; 0 for a missing field (``-1``)."""
        return 0.0 if level < 0 else self._weights[level]


class MatchModel(BaseModel):
    """A fitted Fellegi–Sunter model for one kind of record, and how its fit went."""

    model_config = ConfigDict(frozen=True)

    prior: float
    fields: tuple[FieldModel, ...]
    iterations: int
    converged: bool
    pairs: int

    def weight_table(self) -> Floats:
        """``(fields, levels + 1)`` match weights; the last column (index ``-1``) is 0."""
        width = max(len(f.levels) for f in self.fields) + 1
        table = np.zeros((len(self.fields), width))
        for k, f in enumerate(self.fields):
            table[k, : len(f.levels)] = f.weights()
        return table

    def bayes_factors(self, levels: Levels) -> Floats:
        """Each pair's log2 Bayes factor: the sum of its levels' match weights."""
        if len(levels) == 0:
            return np.zeros(0)
        table = self.weight_table()
        summed = table[np.arange(len(self.fields))[None, :], levels].sum(axis=1)
        return np.asarray(summed, dtype=np.float64)

    def probability(self, bayes_factor: float) -> float:
        """One pair's match probability, given its log2 Bayes factor."""
        prior_weight = math.log2(self.prior / (1 - self.prior))
        exponent = -(prior_weight + bayes_factor)
        return 0.0 if exponent > 1000 else 1.0 / (1.0 + 2.0**exponent)

    def probabilities(self, bayes_factors: Floats) -> Floats:
        """Each pair's match probability, given its log2 Bayes factor."""
        prior_weight = np.log2(self.prior / (1 - self.prior))
        return np.asarray(1.0 / (1.0 + np.exp2(-(prior_weight + bayes_factors))), dtype=np.float64)


def level_shares(levels: Levels, count: int, weights: Floats | None = None) -> Floats:
    """How the present (non-missing) values of one column spread over ``count`` levels."""
    present = levels >= 0
    w = None if weights is None else weights[present]
    counts = np.bincount(levels[present], weights=w, minlength=count)[:count] + SMOOTHING
    return np.asarray(counts / counts.sum(), dtype=np.float64)


def monotone(m: Floats, u: Floats) -> Floats:
    """Match weights ``log2(m / u)`` that never rise from a better level to a worse one, and
    a last level (the field disagrees) that is never evidence *for* a match.

    Where a worse level would weigh more than a better one, the two are pooled (their ``m``
    and ``u`` summed, the weight of the pool given to both), as isotonic regression does:
    a rare level (few nicknames in the data) then takes the weight of its neighbour rather
    than dragging every worse level down to its own noisy weight. EM over blocked pairs needs
    the last rule: non-matches that share a blocking key (the same surname code) almost never
    disagree on it, so its raw ``u`` for "far" can fall below ``m`` and a different surname
    would count in favour of a match."""
    pools: list[list[float]] = []  # [m, u, levels]
    for mk, uk in zip(
        np.asarray(m, dtype=np.float64), np.asarray(u, dtype=np.float64), strict=True
    ):
        pools.append([float(mk), float(uk), 1.0])
        while len(pools) > 1 and _log_ratio(pools[-2]) < _log_ratio(pools[-1]):
            last = pools.pop()
            pools[-1] = [pools[-1][0] + last[0], pools[-1][1] + last[1], pools[-1][2] + last[2]]
    out = np.concatenate([np.full(int(p[2]), _log_ratio(p)) for p in pools])
    out[-1] = min(out[-1], 0.0)
    return np.minimum.accumulate(out)


def _log_ratio(pool: list[float]) -> float:
    return float(np.log2(pool[0] / pool[1]))


def initial_m(count: int) -> Floats:
    """A prior for ``m`` that favours agreement: ``(count - level) ** 2``, normalised."""
    raw = (count - np.arange(count, dtype=np.float64)) ** 2
    return np.asarray(raw / raw.sum(), dtype=np.float64)


def fit(
    levels: Levels,
    comparisons: Sequence[Comparison],
    u_seed: Sequence[Floats],
    *,
    prior: float = 0.2,
    update_u: bool = True,
    u_prior: float = 500.0,
    max_iterations: int = 200,
    tol: float = 1e-5,
) -> MatchModel:
    """Estimate ``m``, ``u`` and ``λ`` by EM over the candidate pairs' ``levels``."""
    sizes = [len(c.levels) for c in comparisons]
    m = [initial_m(n) for n in sizes]
    seeds = [np.asarray(s, dtype=np.float64) for s in u_seed]
    u = list(seeds)
    rows, counts = patterns(levels, max(sizes, default=0) + 1)
    iterations, converged = 0, False
    while iterations < max_iterations and len(levels) and not converged:
        iterations += 1
        p = _posterior(rows, m, u, prior)
        matched, unmatched = p * counts, (1 - p) * counts
        new_m = [level_shares(rows[:, k], n, matched) for k, n in enumerate(sizes)]
        new_u = [
            _with_prior(rows[:, k], n, unmatched, seed, u_prior)
            for k, (n, seed) in enumerate(zip(sizes, seeds, strict=True))
        ]
        new_u = new_u if update_u else u
        new_prior = float(np.clip(matched.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        change = max(
            abs(new_prior - prior),
            *(float(np.abs(a - b).max()) for a, b in zip(new_m + new_u, m + u, strict=True)),
        )
        m, u, prior, converged = new_m, new_u, new_prior, change < tol
    fields = tuple(
        FieldModel(name=c.name, levels=c.levels, m=_floats(mk), u=_floats(uk))
        for c, mk, uk in zip(comparisons, m, u, strict=True)
    )
    return MatchModel(
        prior=prior, fields=fields, iterations=iterations, converged=converged, pairs=len(levels)
    )


def patterns(levels: Levels, base: int) -> tuple[Levels, Floats]:
    """The distinct rows of ``levels`` (comparison vectors) and how many pairs show each.

    A pair's posterior depends on its comparison vector alone, and a run's millions of
    candidate pairs show a few hundred vectors, so EM iterates over the vectors weighted by
    their counts: the same estimates as over every pair, at a cost that no longer grows
    with the pairs. ``base`` exceeds every level + 1 (a row is coded as a number in it)."""
    if len(levels) == 0:
        return levels, np.zeros(0)
    codes = np.zeros(len(levels), dtype=np.int64)
    for k in range(levels.shape[1]):
        codes = codes * base + (levels[:, k].astype(np.int64) + 1)
    _, first, counts = np.unique(codes, return_index=True, return_counts=True)
    return levels[first], counts.astype(np.float64)


def _with_prior(
    column: npt.NDArray[np.int8], count: int, weights: Floats, seed: Floats, strength: float
) -> Floats:
    """``u`` re-estimated from the pairs EM judges non-matches, with the random-pair seed
    counted as ``strength`` pseudo-pairs: on a small candidate set (mostly matches) EM
    could otherwise call a whole kind of match (nickname variants) the non-match class."""
    present = column >= 0
    counts = np.bincount(column[present], weights=weights[present], minlength=count)[:count]
    mixed = counts + strength * seed + SMOOTHING
    return np.asarray(mixed / mixed.sum(), dtype=np.float64)


def _posterior(levels: Levels, m: list[Floats], u: list[Floats], prior: float) -> Floats:
    width = max(len(x) for x in m) + 1
    table = np.zeros((len(m), width))
    for k, (mk, uk) in enumerate(zip(m, u, strict=True)):
        table[k, : len(mk)] = monotone(mk, uk)
    factor = table[np.arange(len(m))[None, :], levels].sum(axis=1)
    return np.asarray(1.0 / (1.0 + np.exp2(-(np.log2(prior / (1 - prior)) + factor))))


def _floats(values: Floats) -> tuple[float, ...]:
    return tuple(float(v) for v in values)

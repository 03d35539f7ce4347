"""Scoring candidate pairs: their comparison levels, ``u`` seeded from random pairs, the EM
fit per kind of record, and each pair's Bayes factor and probability."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from connectors.resolution.blocking import Pairs
from connectors.resolution.columns import Columns, levels
from connectors.resolution.compare import Comparison, comparisons_for
from connectors.resolution.features import Features
from connectors.resolution.model import Floats, Levels, MatchModel, fit, level_shares
from connectors.resolution.records import Kind


@dataclass(frozen=True)
class Scored:
    """The candidate pairs of one kind with their levels, Bayes factors and probabilities."""

    kind: Kind
    pairs: Pairs
    levels: Levels
    bayes_factors: Floats
    probabilities: Floats
    model: MatchModel


def levels_of(columns: Columns, pairs: Pairs, comparisons: Sequence[Comparison]) -> Levels:
    """The comparison vector of every pair, as an ``int8`` matrix."""
    return levels(columns, pairs, comparisons)


def random_pairs(indices: Sequence[int], count: int, seed: int) -> Pairs:
    """Up to ``count`` random distinct pairs among ``indices`` (reproducible by ``seed``)."""
    if len(indices) < 2:
        return np.empty((0, 2), dtype=np.int64)
    rng = np.random.default_rng(seed)
    ids = np.asarray(indices, dtype=np.int64)
    a = rng.integers(0, len(ids), size=count)
    b = rng.integers(0, len(ids) - 1, size=count)
    b = np.where(b >= a, b + 1, b)  # never a record with itself
    return np.stack([ids[a], ids[b]], axis=1)


def u_seed(
    records: Sequence[Features], columns: Columns, kind: Kind, sample: int, seed: int
) -> list[Floats]:
    """``u`` estimated from random pairs of ``kind``: nearly all of them are non-matches."""
    comparisons = comparisons_for(kind)
    indices = [i for i, f in enumerate(records) if f.kind == kind]
    found = levels_of(columns, random_pairs(indices, sample, seed), comparisons)
    return [level_shares(found[:, k], len(c.levels)) for k, c in enumerate(comparisons)]


def score_kind(
    records: Sequence[Features],
    pairs: Pairs,
    kind: Kind,
    *,
    sample: int,
    seed: int,
    update_u: bool,
    model: MatchModel | None = None,
    columns: Columns | None = None,
) -> Scored:
    """Fit (unless ``model`` is given) and score the candidate pairs of ``kind``;
    ``columns`` are ``records`` laid out by :class:`Columns` (built here when not given)."""
    columns = columns or Columns(records)
    comparisons = comparisons_for(kind)
    if len(pairs):
        of_kind = np.fromiter((f.kind == kind for f in records), bool, len(records))
        mine = pairs[of_kind[pairs[:, 0]]]
    else:
        mine = pairs
    found = levels_of(columns, mine, comparisons)
    if model is None:
        seed_u = u_seed(records, columns, kind, sample, seed)
        model = fit(found, comparisons, seed_u, update_u=update_u)
    factors = model.bayes_factors(found)
    return Scored(kind, mine, found, factors, model.probabilities(factors), model)

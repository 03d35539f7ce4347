"""The Fellegi–Sunter model fitted by EM, and the guarded clustering."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from connectors.resolution import Comparison, fit
from connectors.resolution.clustering import OverrideConflict, cluster
from connectors.resolution.model import Levels, level_shares, patterns

TRUE_PRIOR = 0.3
TRUE_M = [np.array([0.85, 0.1, 0.05]), np.array([0.7, 0.3]), np.array([0.9, 0.07, 0.03])]
TRUE_U = [np.array([0.02, 0.08, 0.9]), np.array([0.1, 0.9]), np.array([0.05, 0.15, 0.8])]
COMPARISONS = [
    Comparison(f"f{k}", tuple(f"l{i}" for i in range(len(m))), lambda a, b: 0)
    for k, m in enumerate(TRUE_M)
]


def _mixture(pairs: int, seed: int = 3) -> tuple[Levels, np.ndarray]:
    """Comparison levels drawn from a known mixture of matches and non-matches, with some
    fields missing."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(pairs) < TRUE_PRIOR
    columns = []
    for m, u in zip(TRUE_M, TRUE_U, strict=True):
        from_m = rng.choice(len(m), size=pairs, p=m)
        from_u = rng.choice(len(u), size=pairs, p=u)
        column = np.where(is_match, from_m, from_u)
        column[rng.random(pairs) < 0.1] = -1
        columns.append(column)
    return np.stack(columns, axis=1).astype(np.int8), is_match


def test_em_recovers_the_parameters_of_a_known_mixture() -> None:
    levels, _ = _mixture(40_000)
    seed_u = [level_shares(levels[:, k], len(m)) for k, m in enumerate(TRUE_M)]  # biased
    model = fit(levels, COMPARISONS, seed_u)
    assert model.converged
    assert 1 < model.iterations < 200
    assert model.prior == pytest.approx(TRUE_PRIOR, abs=0.02)
    for field, m, u in zip(model.fields, TRUE_M, TRUE_U, strict=True):
        assert np.asarray(field.m) == pytest.approx(m, abs=0.03)
        assert np.asarray(field.u) == pytest.approx(u, abs=0.03)
        assert field.m[0] > field.u[0]
        assert field.weight(0) > 0 > field.weight(len(m) - 1)
        assert field.weight(-1) == 0.0


def test_the_fitted_model_separates_matches_from_non_matches() -> None:
    levels, is_match = _mixture(20_000, seed=5)
    seed_u = [level_shares(levels[:, k], len(m)) for k, m in enumerate(TRUE_M)]
    model = fit(levels, COMPARISONS, seed_u)
    predicted = model.probabilities(model.bayes_factors(levels)) >= 0.5
    assert (predicted == is_match).mean() > 0.9


def test_em_on_no_pairs_keeps_its_seed() -> None:
    empty = np.empty((0, 3), dtype=np.int8)
    model = fit(empty, COMPARISONS, TRUE_U)
    assert (model.iterations, model.converged, model.pairs) == (0, False, 0)
    assert model.bayes_factors(empty).shape == (0,)


def test_em_runs_over_each_distinct_comparison_vector_with_its_count() -> None:
    levels, _ = _mixture(5_000)
    rows, counts = patterns(levels, 4)
    shown = {tuple(r): c for r, c in zip(rows.tolist(), counts.tolist(), strict=True)}
    assert len(shown) == len(rows) < 100
    assert shown == Counter(map(tuple, levels.tolist()))


def test_clustering_joins_connected_matches() -> None:
    clusters, refused = cluster(5, [(0, 1), (1, 2), (3, 4)])
    assert clusters.groups() == [[0, 1, 2], [3, 4]]
    assert refused == []


def test_the_guard_refuses_a_chain_through_a_conflict() -> None:
    # 0~1 strongly, 1~2 weaker, but 0 and 2 were compared and judged different.
    clusters, refused = cluster(3, [(0, 1), (1, 2)], conflicts=[(0, 2)])
    assert clusters.groups() == [[0, 1], [2]]
    assert refused == [1]


def test_the_guard_follows_records_into_merged_clusters() -> None:
    clusters, refused = cluster(6, [(0, 1), (2, 3), (1, 2), (4, 5), (3, 4)], conflicts=[(0, 5)])
    assert clusters.groups() == [[0, 1, 2, 3], [4, 5]]
    assert refused == [4]


def test_only_a_component_with_a_conflict_is_guarded_and_its_refusals_name_the_links() -> None:
    # 0-1-2 meet no conflict; in 4-5-6, 4 and 6 were judged different.
    clusters, refused = cluster(7, [(0, 1), (4, 5), (1, 2), (5, 6)], conflicts=[(4, 6)])
    assert clusters.groups() == [[0, 1, 2], [3], [4, 5], [6]]
    assert refused == [3]  # (5, 6), by its place among all the links
    assert [clusters.find(i) for i in range(7)] == [0, 0, 0, 3, 4, 4, 6]


def test_a_contradiction_names_the_records_as_given() -> None:
    with pytest.raises(OverrideConflict) as raised:
        cluster(6, [(0, 1)], must=[(3, 4), (4, 5)], cannot=[(3, 5)])
    assert (raised.value.left, raised.value.right) == (4, 5)


def test_must_link_wins_over_the_model_and_cannot_link_blocks() -> None:
    clusters, _ = cluster(4, [(2, 3)], must=[(0, 1)], cannot=[(2, 3)], conflicts=[(0, 1)])
    assert clusters.groups() == [[0, 1], [2], [3]]


def test_contradicting_overrides_are_an_error() -> None:
    with pytest.raises(OverrideConflict):
        cluster(3, [], must=[(0, 1), (1, 2)], cannot=[(0, 2)])

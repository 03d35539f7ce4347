"""Entity resolution over many pairs at once: the array comparisons answer exactly what the
one-pair comparisons answer, and array blocking gives the pairs that share a key."""

from __future__ import annotations

from datetime import date
from itertools import combinations

import numpy as np

from connectors.resolution import Record, features, keys
from connectors.resolution.blocking import candidate_pairs
from connectors.resolution.columns import Columns, levels
from connectors.resolution.compare import compare, comparisons_for
from connectors.resolution.results import Evidence, Link, trusted
from connectors.resolution.scoring import random_pairs
from connectors.resolution.synthetic import generate


def _people() -> list[Record]:
    """Names that exercise every level: nicknames both ways and through a shared long form,
    initials, swapped names, typos, missing parts, dates and identifiers."""
    rows = [
        ("Robert Smith", "1980-02-03", "12345678"),
        ("Bob Smith", "1980-03-02", "12345679"),
        ("Rob Smyth", "1981-02-03", "21345678"),
        ("R. Smith", None, None),
        ("Smith Robert", "1980-02-03", None),
        ("William Smith", "1980-02-03", "12345678"),
        ("Bill Smith", None, "1234"),
        ("Billy Smith", None, "1243"),
        ("Katherine Jones", "1975-12-01", None),
        ("Kathy Jones", "1975-12-01", None),
        ("Kate Jonse", "1975-01-12", None),
        ("K Jones", None, None),
        ("Jones", None, None),
        (", Kathy", None, None),
        ("Elizabeth O'Neil", "1990-07-07", "A-1"),
        ("Liz Oneil", "1990-07-07", "a1"),
        ("Beth O Neil", None, None),
        ("", None, None),
    ]
    out = []
    for i, (name, born, ident) in enumerate(rows):
        out.append(
            Record(
                system="s",
                record_id=str(i),
                kind="person",
                name=name or None,
                email=f"{name.split()[0].lower()}@gmail.com" if i % 3 == 0 and name else None,
                address="12 Main Street Springfield" if i % 4 else "12 Main St. Springfeld",
                dates={"birth": date.fromisoformat(born)} if born else {},
                identifiers={"ssn": ident} if ident else {},
            )
        )
    return out


def test_the_array_comparisons_give_the_one_pair_levels_for_every_pair() -> None:
    records = _people() + generate(30, seed=3).records
    feats = [features(r) for r in records]
    columns = Columns(feats, workers=2)
    for kind in ("person", "company"):
        ids = [i for i, f in enumerate(feats) if f.kind == kind]
        pairs = np.asarray([(a, b) for a, b in combinations(ids, 2)], dtype=np.int64)
        pairs = np.concatenate([pairs, pairs[:, ::-1]])  # both orders: swapped names
        comparisons = comparisons_for(kind)
        batch = levels(columns, pairs, comparisons).tolist()
        one = [compare(feats[a], feats[b], comparisons) for a, b in pairs.tolist()]
        assert batch == one


def test_blocking_pairs_exactly_the_records_that_share_a_small_block() -> None:
    records = generate(200, seed=5).records
    feats = [features(r) for r in records]
    found, stats = candidate_pairs(feats, max_block=6)
    by_key: dict[str, list[int]] = {}
    for i, f in enumerate(feats):
        for key in keys(f):
            by_key.setdefault(key, []).append(i)
    small = [m for m in by_key.values() if len(m) <= 6]
    expected = {p for m in small for p in combinations(m, 2)}
    assert {(int(a), int(b)) for a, b in found} == expected
    assert stats.blocks == len(by_key)
    assert stats.skipped_blocks == sum(1 for m in by_key.values() if len(m) > 6)
    assert stats.records_in_skipped_blocks == len(
        {i for m in by_key.values() if len(m) > 6 for i in m}
    )
    assert stats.largest_block == max(len(m) for m in by_key.values())
    assert stats.keys == sum(len(m) for m in by_key.values())


def test_random_pairs_never_pair_a_record_with_itself() -> None:
    pairs = random_pairs([3, 5, 9], 500, seed=1)
    assert len(pairs) == 500 and (pairs[:, 0] != pairs[:, 1]).all()


def test_blocking_by_system_makes_only_the_pairs_across_systems() -> None:
    records = generate(200, seed=5).records
    feats = [features(r) for r in records]
    everything, _ = candidate_pairs(feats, max_block=50)
    names = sorted({r.system for r in records})
    systems = np.asarray([names.index(r.system) for r in records], dtype=np.int64)
    across, stats = candidate_pairs(feats, max_block=50, groups=systems)
    expected = everything[systems[everything[:, 0]] != systems[everything[:, 1]]]
    assert across.tolist() == expected.tolist()
    assert stats.candidate_pairs == len(expected) < len(everything)


def test_a_link_made_from_trusted_values_is_the_validated_link() -> None:
    evidence = (Evidence(field="email", level="exact", weight=7.5),)
    values = {
        "left": ("crm", "c-1"),
        "right": ("support", "s-1"),
        "probability": 0.97,
        "bayes_factor": 7.5,
        "band": "match",
        "source": "model",
        "evidence": evidence,
    }
    made = trusted(Link, dict(values))
    checked = Link.model_validate(values)
    assert made == checked
    assert made.model_dump_json() == checked.model_dump_json()
    assert made.model_fields_set == checked.model_fields_set

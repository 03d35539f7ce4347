"""Benchmark 13: real organisation data, hand-labelled, against a fuzzy matcher tuned on it.

Two sets of real organisation records whose true entities people marked
(``benchmarks/data/organisations/``, see its NOTICE):

- **patstat**: 2,379 applicants of Dutch patents by name alone, as the patent office wrote
  them (legal forms first or last, places after them, typos, renamings), 102 organisations;
- **chicago**: 3,337 records of early-childhood sites from nine public listings, each with
  a name, a street address, a zip code and a phone as its listing wrote them, 1,162 sites;
- and, beside them (not in the verdict), patstat without its largest organisation.

Each set is deduplicated by both sides, in this process, from the same CSV text:

- **crosswire**: ``crosswire identity match`` on the file (``bot.cli.identity.match_files``:
  blocking, comparisons, Fellegi–Sunter weights fitted by EM **with no labels**, guarded
  clustering); its entities are its answer.
- **fuzzy, tuned**: ``rapidfuzz`` over **every** pair of records (no blocking to miss one),
  each of four scorers (ratio, token sort, token set, WRatio) on the name alone and, where
  there are other fields, on all of them joined; each pair at or above a threshold is a
  match, taken as it is or closed into clusters (connected components). The scorer, the
  text, the threshold (50–100) and the form with the best F1 **on the labels** is reported:
  a baseline given what the other side is not.

Quality is pairwise over records: a pair of records put in one entity is right when the
labels say they are one. Reported per side: precision, recall, F1, entities, time. Ratio:
Crosswire's F1 over the tuned baseline's, per set; met when it is above 1 on patstat and on
chicago (the third set is reported beside them, not counted).
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from math import comb
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

DATA: Final = Path(__file__).resolve().parent / "data" / "organisations"
SCORERS: Final = ("ratio", "token_sort_ratio", "token_set_ratio", "WRatio")
THRESHOLDS: Final = range(50, 101)


@dataclass(frozen=True)
class LabelledSet:
    """One data set: the CSV ``identity match`` reads, its record ids, the label of each,
    and the texts the baseline scores (by what they hold)."""

    name: str
    csv_text: str
    ids: list[str]
    labels: npt.NDArray[np.int64]
    texts: dict[str, list[str]]


def patstat() -> LabelledSet:
    """Patent applicants by name: ``person_id,name`` for the matcher."""
    rows = _rows("patstat_applicants.csv")
    names = [r["name"] for r in rows]
    return LabelledSet(
        "patstat",
        _csv(["id", "company"], [[r["person_id"], r["name"]] for r in rows]),
        [r["person_id"] for r in rows],
        _codes([r["leuven_id"] for r in rows]),
        {"name": names},
    )


def chicago() -> LabelledSet:
    """Early-childhood sites: ``id,company,address,zip,phone`` for the matcher."""
    rows = _rows("chicago_early_childhood_sites.csv")
    fields = ("site_name", "address", "zip", "phone")
    return LabelledSet(
        "chicago",
        _csv(
            ["id", "company", "address", "zip", "phone"],
            [[r["id"], *(r[f] for f in fields)] for r in rows],
        ),
        [r["id"] for r in rows],
        _codes([r["true_id"] for r in rows]),
        {
            "name": [r["site_name"] for r in rows],
            "all fields": [" ".join(r[f] for f in fields if r[f]) for r in rows],
        },
    )


def patstat_but_the_largest() -> LabelledSet:
    """The applicants without the organisation that holds most of them (Philips: 676 of
    2,379 records, 77% of the true pairs, under its current name and its old one): the
    other 101 organisations, reported beside the whole set, not instead of it."""
    whole = patstat()
    largest = np.bincount(whole.labels).argmax()
    kept = np.flatnonzero(whole.labels != largest)
    names = whole.texts["name"]
    return LabelledSet(
        "patstat_but_the_largest",
        _csv(["id", "company"], [[whole.ids[i], names[i]] for i in kept]),
        [whole.ids[i] for i in kept],
        whole.labels[kept],
        {text: [values[i] for i in kept] for text, values in whole.texts.items()},
    )


SETS: Final = {"patstat": patstat, "chicago": chicago}
ALSO: Final = {"patstat_but_the_largest": patstat_but_the_largest}
"""Reported, and left out of the verdict."""


def _rows(file: str) -> list[dict[str, str]]:
    with (DATA / file).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _codes(values: list[str]) -> npt.NDArray[np.int64]:
    index: dict[str, int] = {}
    return np.asarray([index.setdefault(v, len(index)) for v in values], dtype=np.int64)


def quality(clusters: npt.NDArray[np.int64], labels: npt.NDArray[np.int64]) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the ``clusters`` (one per record) against the
    ``labels``."""
    predicted = sum(comb(n, 2) for n in Counter(clusters.tolist()).values())
    true = sum(comb(n, 2) for n in Counter(labels.tolist()).values())
    right = sum(
        comb(n, 2) for n in Counter(zip(clusters.tolist(), labels.tolist(), strict=True)).values()
    )
    p = right / predicted if predicted else 1.0
    r = right / true if true else 1.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "entities": len(set(clusters.tolist())),
    }


def side_crosswire(data: LabelledSet, into: Path) -> dict[str, Any]:
    """``identity match`` on the set's CSV; its entities (every pair inside one is a link)."""
    from bot.cli.identity import match_files

    path = into / f"{data.name}.csv"
    path.write_text(data.csv_text, encoding="utf-8")
    t0 = time.perf_counter()
    result = match_files([path])
    seconds = time.perf_counter() - t0
    position = {record_id: i for i, record_id in enumerate(data.ids)}
    parent = np.arange(len(data.ids))
    for left, right, _ in result.links:  # the links of one entity join it: union them
        a, b = _root(parent, position[left]), _root(parent, position[right])
        parent[max(a, b)] = min(a, b)
    clusters = np.asarray([_root(parent, i) for i in range(len(parent))], dtype=np.int64)
    return {
        "time_s": round(seconds, 3),
        "candidate_pairs": result.candidate_pairs,
        "maybes": result.maybes,
        **quality(clusters, data.labels),
    }


def _root(parent: npt.NDArray[np.int64], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def side_fuzzy(data: LabelledSet) -> dict[str, Any]:
    """Every scorer on every text over all pairs; the best threshold and form on the labels."""
    from rapidfuzz import fuzz, process, utils
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    count = len(data.labels)
    left, right = np.triu_indices(count, k=1)
    same = data.labels[left] == data.labels[right]
    true = int(same.sum())
    best: dict[str, Any] = {"f1": -1.0}
    t0 = time.perf_counter()
    for text, texts in data.texts.items():
        for scorer in SCORERS:
            matrix = process.cdist(texts, texts, scorer=getattr(fuzz, scorer),
                                   processor=utils.default_process, dtype=np.float32)  # fmt: skip
            scores = matrix[left, right]
            del matrix
            # as pairs: matches at each threshold counted at once from the sorted scores
            ordered, ordered_same = np.sort(scores), np.sort(scores[same])
            for threshold in THRESHOLDS:
                found = len(ordered) - np.searchsorted(ordered, threshold)
                hits = len(ordered_same) - np.searchsorted(ordered_same, threshold)
                p = hits / found if found else 1.0
                r = hits / true
                f1 = 2 * p * r / (p + r) if p + r else 0.0
                if f1 > best["f1"]:
                    best = {"f1": f1, "scorer": scorer, "text": text, "threshold": threshold,
                            "form": "pairs", "precision": p, "recall": r}  # fmt: skip
            for threshold in THRESHOLDS:  # closed into clusters
                kept = scores >= threshold
                graph = coo_matrix(
                    (np.ones(int(kept.sum()), dtype=np.int8), (left[kept], right[kept])),
                    shape=(count, count),
                )
                _, clusters = connected_components(graph, directed=False)
                q = quality(clusters.astype(np.int64), data.labels)
                if q["f1"] > best["f1"]:
                    best = {**q, "scorer": scorer, "text": text, "threshold": threshold,
                            "form": "clusters"}  # fmt: skip
    best["time_s"] = round(time.perf_counter() - t0, 3)
    for k in ("f1", "precision", "recall"):
        best[k] = round(float(best[k]), 4)
    return best


def run() -> dict[str, Any]:
    """Both sides on every set; the F1 ratios and the verdict."""
    out: dict[str, Any] = {"config": {"sets": list(SETS), "scorers": list(SCORERS)}, "sets": {}}
    with tempfile.TemporaryDirectory(prefix="crosswire-organisations-") as tmp:
        for name, load in (SETS | ALSO).items():
            data = load()
            print(f"  {name}: crosswire", file=sys.stderr, flush=True)
            case: dict[str, Any] = {
                "records": len(data.ids),
                "entities": len(set(data.labels.tolist())),
                "crosswire": side_crosswire(data, Path(tmp)),
            }
            print(f"  {name}: fuzzy, tuned on the labels", file=sys.stderr, flush=True)
            case["fuzzy"] = side_fuzzy(data)
            case["ratio_f1_crosswire_vs_fuzzy"] = round(
                case["crosswire"]["f1"] / case["fuzzy"]["f1"], 3
            )
            out["sets"][name] = case
    out["met"] = all(out["sets"][name]["ratio_f1_crosswire_vs_fuzzy"] > 1 for name in SETS)
    return out


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The benchmark's lines of the summary table."""
    out: list[tuple[str, str, str, str]] = [("Real organisation data (P / R / F1)", "", "", "")]
    for name, case in r["sets"].items():
        out.append((f"  {name}, {case['records']:,} records of {case['entities']:,}", "", "", ""))
        cw, fz = case["crosswire"], case["fuzzy"]
        out.append((
            "    Crosswire, no labels",
            f"{cw['precision']:.4f} / {cw['recall']:.4f} / {cw['f1']:.4f}",
            f"{cw['time_s']:.2f} s",
            f"{cw['entities']:,} entities; {case['ratio_f1_crosswire_vs_fuzzy']}x the F1",
        ))  # fmt: skip
        out.append((
            "    fuzzy, tuned on labels",
            f"{fz['precision']:.4f} / {fz['recall']:.4f} / {fz['f1']:.4f}",
            f"{fz['time_s']:.2f} s (every pair)",
            f"{fz['scorer']} >= {fz['threshold']} on {fz['text']}, as {fz['form']}",
        ))  # fmt: skip
    verdict = "met" if r["met"] else "NOT MET"
    out.append(("  beats the tuned baseline on patstat and chicago", "", "", verdict))
    return out

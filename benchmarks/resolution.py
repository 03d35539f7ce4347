"""Benchmark 8: entity resolution at scale, blocking against all pairs.

Generated directories (:mod:`connectors.resolution.synthetic`) of 200, 800, 1,600 and 6,400
companies with two people each, across three systems (CRM always; support and billing for
about four in five companies; a person is in each further system three times in four), with
controlled variation: legal suffixes, upper case and one-letter typos in company names,
nicknames and surname typos, nickname email addresses, free-mail addresses, phones in five
formats, fields missing at random. Every record's true entity is known.

Each size is resolved by :class:`connectors.resolution.Resolver` (blocking, EM fit, bands,
guarded clustering) and, where it is feasible (at most :data:`ALL_PAIRS_LIMIT` pairs), by
the same resolver comparing **all pairs** of records of a kind: the baseline blocking must
approach in quality and beat in cost. Reported per run: wall time, candidate pairs (and per
record), pairwise precision and recall of the entities against the truth, the pairs left for
review, and EM's iterations.

Times are the best of ``repeats`` runs (all pairs: one run), wall clock and CPU, after a
warm-up. Ratios: all-pairs time and pairs over blocking's at the same size; and blocking's
CPU time and pairs per record at the largest size over the smallest (1.0x is linear).
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from math import comb
from typing import Any, Final

from benchmarks.common import json_from_child
from connectors.resolution import Resolution, Resolver, ResolverSettings
from connectors.resolution.synthetic import Directory, generate

SIZES: Final = (200, 800, 1_600, 6_400)
ALL_PAIRS_LIMIT: Final = 1_000_000
SEED: Final = 7


def quality(result: Resolution, truth: dict[tuple[str, str], str]) -> dict[str, float]:
    """Pairwise precision and recall of the entities against the true ones, and the recall
    if a person confirmed every "maybe" sent for review."""
    found = sum(
        comb(n, 2) for e in result.entities for n in Counter(truth[k] for k in e.records).values()
    )
    predicted = sum(comb(len(e.records), 2) for e in result.entities)
    true = sum(comb(n, 2) for n in Counter(truth.values()).values())
    in_review = sum(
        1
        for r in result.reviews
        if r.reason == "maybe" and truth[r.link.left] == truth[r.link.right]
    )
    return {
        "precision": round(found / predicted, 4) if predicted else 1.0,
        "recall": round(found / true, 4) if true else 1.0,
        "true_pairs_in_review": in_review,
    }


def _all_pairs_count(directory: Directory) -> int:
    kinds = Counter(r.kind for r in directory.records)
    return sum(comb(n, 2) for n in kinds.values())


def measure(directory: Directory, candidates: str, repeats: int) -> dict[str, Any]:
    """Resolve ``directory`` ``repeats`` times; the best wall and CPU times, pairs, quality."""
    settings = ResolverSettings(candidates="all_pairs" if candidates == "all_pairs" else "blocking")
    walls, cpus = [], []
    for _ in range(repeats):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = Resolver(settings).resolve(directory.records)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    stats = result.stats
    return {
        "time_s": round(min(walls), 3),
        "cpu_s": round(min(cpus), 3),
        "candidate_pairs": stats.candidate_pairs,
        "pairs_per_record": round(stats.candidate_pairs / stats.records, 3),
        "skipped_blocks": stats.skipped_blocks,
        "largest_block": stats.largest_block,
        "entities": stats.entities,
        "maybes": stats.maybes,
        "refused_merges": stats.refused_merges,
        "em_iterations": {k: m.iterations for k, m in result.models.items()},
        **quality(result, directory.truth),
    }


def run_size(companies: int, repeats: int) -> dict[str, Any]:
    """One size: blocking, and all pairs when feasible (once), on the same directory."""
    directory = generate(companies, seed=SEED)
    out: dict[str, Any] = {
        "companies": companies,
        "records": len(directory.records),
        "true_entities": len(set(directory.truth.values())),
        "all_pairs_would_be": _all_pairs_count(directory),
        "blocking": measure(directory, "blocking", repeats),
    }
    if out["all_pairs_would_be"] <= ALL_PAIRS_LIMIT:
        base = measure(directory, "all_pairs", 1)
        out["all_pairs"] = base
        out["ratio_time_all_pairs_vs_blocking"] = round(
            base["time_s"] / out["blocking"]["time_s"], 2
        )
        out["ratio_pairs_all_pairs_vs_blocking"] = round(
            base["candidate_pairs"] / out["blocking"]["candidate_pairs"], 1
        )
    else:
        out["all_pairs"] = {"skipped": f"{out['all_pairs_would_be']:,} pairs"}
    return out


async def run(*, sizes: tuple[int, ...] = SIZES, repeats: int = 2) -> dict[str, Any]:
    """Every size, smallest first (after a warm-up that loads the nickname list and the legal
    forms), and the growth ratios between the ends, on CPU time."""
    Resolver().resolve(generate(20, seed=SEED + 1).records)
    cases = [run_size(n, repeats) for n in sizes]
    first, last = cases[0], cases[-1]
    scale = last["records"] / first["records"]
    graph = await graph_cases()
    return {
        "graph": graph,
        "config": {
            "sizes": list(sizes),
            "seed": SEED,
            "all_pairs_limit": ALL_PAIRS_LIMIT,
            "repeats": repeats,
        },
        "cases": cases,
        "records_growth": round(scale, 1),
        "ratio_time_per_record_growth": round(
            (last["blocking"]["cpu_s"] / first["blocking"]["cpu_s"]) / scale, 2
        ),
        "ratio_pairs_per_record_growth": round(
            last["blocking"]["pairs_per_record"] / first["blocking"]["pairs_per_record"], 2
        ),
    }


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The benchmark's lines of the summary table."""
    title = "entity resolution, blocking vs all pairs"
    out: list[tuple[str, str, str, str]] = [(title, "", "", "")]
    for case in r["cases"]:
        b = case["blocking"]
        out.append(
            (
                f"  {case['companies']:,} companies ({case['records']:,} records)",
                f"{b['time_s']:.2f} s, {b['candidate_pairs']:,} pairs",
                f"P {b['precision']:.4f} / R {b['recall']:.4f}",
                f"{b['maybes']} maybes ({b['true_pairs_in_review']} true)",
            )
        )
        a = case["all_pairs"]
        if "skipped" not in a:
            out.append(
                (
                    "    all pairs",
                    f"{a['time_s']:.2f} s, {a['candidate_pairs']:,} pairs",
                    f"P {a['precision']:.4f} / R {a['recall']:.4f}",
                    f"{case['ratio_time_all_pairs_vs_blocking']:.1f}x the time",
                )
            )
    out.append(
        (
            f"  growth per record, {r['records_growth']:g}x records",
            f"CPU time {r['ratio_time_per_record_growth']:.2f}x",
            f"pairs {r['ratio_pairs_per_record_growth']:.2f}x",
            "1.0x = linear",
        )
    )
    return out + graph_rows(r.get("graph", []))


# ------------------------------------------------------------------ the identity graph at scale

GRAPH_SIZES: Final = ((1_000, 10_000),)
"""(accounts, contacts) per graph case in ``make bench``; larger ones, up to the target of
(100,000, 1,000,000), run alone: ``python -m benchmarks.identity_scale 10000 100000``."""


async def graph_cases(sizes: tuple[tuple[int, int], ...] = GRAPH_SIZES) -> list[dict[str, Any]]:
    """Each size of the identity graph (:mod:`benchmarks.identity_scale`) in a process of its
    own, so its peak memory is its own."""
    return [
        await json_from_child(
            "benchmarks.identity_scale", str(a), str(c), timeout_s=3600, what="identity graph"
        )
        for a, c in sizes
    ]


def graph_rows(cases: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """The identity graph's lines of the summary table."""
    out: list[tuple[str, str, str, str]] = [
        ("identity graph: build, 1% refresh, lookups", "", "", "")
    ]
    for c in cases:
        r = c["refresh"]
        out.append(
            (
                f"  {c['accounts']:,} accounts, {c['contacts']:,} contacts",
                f"build {c['build_s']:.1f} s, 1% refresh {r['time_s']:.2f} s",
                f"lookup p99 {c['lookup_ms']['p99']:.2f} ms",
                f"peak {c['peak_memory_mb']['end']:,.0f} MB",
            )
        )
    return out

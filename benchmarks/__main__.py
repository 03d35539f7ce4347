"""``python -m benchmarks``: run every benchmark, print a table, write results/latest.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    ack_latency,
    approvals,
    approvals_waiting,
    briefing,
    briefing_fanout,
    engine_steps,
    febrl,
    hung_system,
    organisations,
    planner,
    rate_budget,
    resolution,
    schedules,
)
from benchmarks.common import LOG_FILE, RESULTS_DIR, log_to_file
from bot.settings import environment_names


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument(
        "--only",
        choices=(
            "ack",
            "briefing",
            "hung",
            "approvals",
            "steps",
            "schedules",
            "resolution",
            "planner",
            "febrl",
            "organisations",
            "rate",
            "fanout",
        ),
        help="run one benchmark",
    )
    p.add_argument("--rounds", type=int, default=2, help="ack: rounds per app (default 2)")
    p.add_argument("--events", type=int, default=200, help="ack: events per burst (200)")
    p.add_argument("--concurrency", type=int, default=50, help="ack: requests in flight (50)")
    p.add_argument("--runs", type=int, default=10, help="briefing: engine runs per case (10)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR / "latest.json")
    return p.parse_args(argv)


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crosswire-bench-") as tmp:
        if args.only in (None, "briefing"):
            print("Benchmark 2: briefing critical path", file=sys.stderr, flush=True)
            results["briefing"] = await briefing.run(Path(tmp) / "briefing", runs=args.runs)
        if args.only in (None, "hung"):
            print("Benchmark 3: a briefing with one hung system", file=sys.stderr, flush=True)
            results["hung"] = await hung_system.run(Path(tmp) / "hung")
        if args.only in (None, "steps"):
            print("Benchmark 5: the engine's cost per durable step", file=sys.stderr, flush=True)
            results["steps"] = await engine_steps.run(Path(tmp) / "steps")
        if args.only in (None, "approvals"):
            print("Benchmark 4: click to resumed run", file=sys.stderr, flush=True)
            results["approvals"] = await approvals.run(Path(tmp) / "approvals")
            print("Benchmark 6: a briefing with 1,000 runs waiting", file=sys.stderr, flush=True)
            results["waiting"] = await approvals_waiting.run_in_child(Path(tmp) / "waiting")
        if args.only in (None, "schedules"):
            print("Benchmark 7: 10,000 registered schedules", file=sys.stderr, flush=True)
            results["schedules"] = await schedules.run(Path(tmp) / "schedules")
        if args.only in (None, "resolution"):
            print("Benchmark 8: entity resolution at scale", file=sys.stderr, flush=True)
            results["resolution"] = await resolution.run()
        if args.only in (None, "febrl"):
            print("Benchmark 10: FEBRL person data, two baselines", file=sys.stderr, flush=True)
            results["febrl"] = await febrl.run()
        if args.only in (None, "organisations"):
            print("Benchmark 13: real organisation data, a tuned baseline", file=sys.stderr)
            results["organisations"] = organisations.run()
        if args.only in (None, "planner"):
            print("Benchmark 9: model calls against a step-by-step agent", file=sys.stderr)
            results["planner"] = await planner.run(Path(tmp) / "planner")
        if args.only in (None, "rate"):
            print("Benchmark 11: a fan-out paced by a system's budget", file=sys.stderr)
            (Path(tmp) / "rate").mkdir()
            results["rate"] = await rate_budget.run(Path(tmp) / "rate")
        if args.only in (None, "fanout"):
            print("Benchmark 12: briefings fanned out to the vendors", file=sys.stderr)
            (Path(tmp) / "fanout").mkdir()
            results["fanout"] = await briefing_fanout.run(Path(tmp) / "fanout")
        if args.only in (None, "ack"):
            print("Benchmark 1: ack latency under a burst", file=sys.stderr, flush=True)
            results["ack"] = await ack_latency.run(
                Path(tmp) / "ack",
                rounds=args.rounds,
                events=args.events,
                concurrency=args.concurrency,
            )
    return results


def _table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str]] = []
    if "ack" in results:
        a = results["ack"]
        b, c = a["summary"]["bare"], a["summary"]["crosswire"]
        cfg = a["config"]
        rows += [
            (
                f"ack, {cfg['events_per_burst']} mentions, {cfg['concurrency']} in flight",
                "",
                "",
                "",
            ),
            ("  bare Bolt p50 / p99", f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f} ms", "", ""),
            ("  Crosswire p50 / p99", f"{c['p50_ms']:.1f} / {c['p99_ms']:.1f} ms", "", ""),
            (
                "  ratio Crosswire p99 / bare p99",
                f"{a['ratio_p99']:.2f}x",
                f"<= {a['target_ratio_p99']}x",
                "met" if a["met"] else "NOT MET",
            ),
            ("  ratio p50 / p50", f"{a['ratio_p50']:.2f}x", "", ""),
            ("  ratio p99, median of rounds", f"{a['ratio_p99_median_of_rounds']:.2f}x", "", ""),
            (
                "  Crosswire in burst: loop lag max",
                f"{c['loop_lag_max_ms']:.1f} ms",
                f"GC {c['gc_pause_total_ms']:.0f} ms (full {c['gc_full_pause_max_ms']:.0f})",
                f"{c['threads_after_burst']} threads",
            ),
            (
                "  Crosswire runs drained after burst",
                f"{c['drain_after_burst_ms'] / 1000:.1f} s",
                f"~{a['crosswire_runs_per_s_after_burst']} runs/s",
                f"{a['crosswire_cpu_ms_per_run_in_drain']} ms CPU/run",
            ),
        ]
    if "briefing" in results:
        r = results["briefing"]
        e, s = r["engine_200ms"], r["sequential_200ms"]
        rows += [
            ("briefing, 6 systems x 200 ms", "", "", ""),
            ("  engine.run p50 / p90", f"{e['p50_ms']:.1f} / {e['p90_ms']:.1f} ms", "", ""),
            (
                "  ratio p50 / critical path 200 ms",
                f"{r['ratio_p50']:.2f}x",
                f"<= {r['target_ratio']}x",
                "met" if r["met"] else "NOT MET",
            ),
            ("  ratio p90 / 200 ms", f"{r['ratio_p90']:.2f}x", "", ""),
            (
                "  sequential baseline p50",
                f"{s['p50_ms']:.1f} ms",
                f"{r['ratio_sequential_p50']:.2f}x",
                "",
            ),
            (
                "  gathered direct calls p50",
                f"{r['gathered_direct_200ms']['p50_ms']:.1f} ms",
                "",
                "",
            ),
            (
                "  engine.run at 0 ms p50 / p90",
                f"{r['engine_0ms']['p50_ms']:.1f} / {r['engine_0ms']['p90_ms']:.1f} ms",
                f"overhead {r['engine_overhead_ms_p50']:.1f} ms",
                f"{r['engine_cpu_ms_per_run_0ms']} ms CPU/run",
            ),
        ]
    if "hung" in results:
        rows += _hung_rows(results["hung"])
    if "steps" in results:
        rows += _steps_rows(results["steps"])
    if "approvals" in results:
        rows += _approvals_rows(results["approvals"])
    if "waiting" in results:
        rows += _waiting_rows(results["waiting"])
    if "schedules" in results:
        rows += schedules.rows(results["schedules"])
    if "resolution" in results:
        rows += resolution.rows(results["resolution"])
    if "febrl" in results:
        rows += febrl.rows(results["febrl"])
    if "organisations" in results:
        rows += organisations.rows(results["organisations"])
    if "planner" in results:
        rows += planner.rows(results["planner"])
    if "rate" in results:
        rows += rate_budget.rows(results["rate"])
    if "fanout" in results:
        rows += briefing_fanout.rows(results["fanout"])
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )


def _hung_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    cfg, ok, cut, shed = r["config"], r["healthy"], r["hung_cut_off"], r["hung_breaker_open"]
    return [
        (
            f"briefing with {cfg['hung']} hung (deadline {cfg['run_deadline_s']:g} s, "
            f"grace {cfg['late_grace_s']:g} s)",
            "",
            "",
            "",
        ),
        ("  none hung p50", f"{ok['p50_ms']:.1f} ms", "", ""),
        ("  one hung p50 / p90", f"{cut['p50_ms']:.1f} / {cut['p90_ms']:.1f} ms", "", ""),
        (
            "  ratio hung p90 / deadline",
            f"{r['ratio_hung_p90_vs_deadline']:.2f}x",
            f"<= {r['target_ratio_deadline']}x",
            "met" if r["ratio_hung_p90_vs_deadline"] <= r["target_ratio_deadline"] else "NOT MET",
        ),
        (
            "  ratio hung p50 / (none hung + grace)",
            f"{r['ratio_hung_p50_vs_healthy_plus_grace']:.2f}x",
            f"<= {r['target_ratio_grace']}x",
            "met"
            if r["ratio_hung_p50_vs_healthy_plus_grace"] <= r["target_ratio_grace"]
            else "NOT MET",
        ),
        (
            "  breaker open p50",
            f"{shed['p50_ms']:.1f} ms",
            f"{r['ratio_breaker_open_p50_vs_healthy']:.2f}x none hung",
            f"was {r['before_deadlines_s']:g} s",
        ),
    ]


def _steps_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = [("engine steps vs bare DBOS (a chain)", "", "", "")]
    for case in r["cases"].values():
        e, b = case["engine"], case["bare_dbos"]
        rows.append(
            (
                f"  {case['steps']} step(s): engine / bare p50",
                f"{e['p50_ms']:.1f} / {b['p50_ms']:.1f} ms",
                f"{case['ratio_p50']:.2f}x",
                f"{case['engine_ms_per_step_p50']:.2f} ms/step",
            )
        )
    rows.append(
        (
            "  fixed cost per run: engine / bare",
            f"{r['engine_fixed_ms']:.1f} / {r['bare_fixed_ms']:.1f} ms",
            f"per added step {r['engine_ms_per_added_step']:.2f}",
            f"/ {r['bare_ms_per_added_step']:.2f} ms",
        )
    )
    return rows


def _approvals_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = [
        (f"approve all to the run's first email ({r['config']['clicks']} clicks)", "", "", "")
    ]
    for label, key in (("SQLite", "sqlite"), ("PostgreSQL", "postgres")):
        m = r[key]
        if "skipped" in m:
            rows.append((f"  {label}", "skipped", m["skipped"], ""))
            continue
        first, floor, done = (
            m["click_to_first_email"],
            m["bare_dbos_wake"],
            m["click_to_send_step_done"],
        )
        target = f"p99 < {r['target_p99_ms_sqlite']:g} ms" if key == "sqlite" else ""
        verdict = ("met" if r["met"] else "NOT MET") if key == "sqlite" else ""
        rows += [
            (
                f"  {label}: click to first email p50 / p99",
                f"{first['p50_ms']:.1f} / {first['p99_ms']:.1f} ms",
                target,
                verdict,
            ),
            (
                f"  {label}: bare DBOS wake p50 / p99",
                f"{floor['p50_ms']:.1f} / {floor['p99_ms']:.1f} ms",
                f"{m['ratio_p50']:.2f}x / {m['ratio_p99']:.2f}x",
                "",
            ),
            (
                f"  {label}: to {m['emails_per_run']} emails sent p50 / p99",
                f"{done['p50_ms']:.1f} / {done['p99_ms']:.1f} ms",
                f"ack p50 {m['click_ack']['p50_ms']:.1f} ms",
                "",
            ),
        ]
    return rows


def _waiting_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    none, many = r["none_waiting"], r["with_waiting"]
    verdict = "met" if r["met"] else "NOT MET"
    return [
        (f"briefing with {r['pending_before']} runs waiting for approval", "", "", ""),
        ("  none waiting p50 / p90", f"{none['p50_ms']:.1f} / {none['p90_ms']:.1f} ms", "", ""),
        ("  waiting p50 / p90", f"{many['p50_ms']:.1f} / {many['p90_ms']:.1f} ms", "", ""),
        (
            "  ratio waiting / none, p50 / p90",
            f"{r['ratio_p50']:.2f}x / {r['ratio_p90']:.2f}x",
            f"<= {r['target_ratio']}x",
            verdict,
        ),
        (
            "  in the waiting room at start / end",
            f"{r['in_waiting_room_before']} / {r['in_waiting_room_after']}",
            f"idle CPU {r['idle_cpu_cores_none_waiting']:.2f} / "
            f"{r['idle_cpu_cores_with_waiting']:.2f} cores",
            f"{r['runs_reached_approval_s']:.0f} s to start",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    for name in environment_names():
        os.environ.pop(name, None)
    log_to_file()
    t0 = time.perf_counter()
    results = asyncio.run(_main(args))
    elapsed = time.perf_counter() - t0
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "elapsed_s": round(elapsed, 1),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print()
    print(_table(results))
    print(f"\n{elapsed:.0f} s; JSON in {args.out}; product logs in {LOG_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

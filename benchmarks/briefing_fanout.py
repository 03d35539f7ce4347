"""Benchmark 12: a briefing fan-out against the vendor stand-ins, with latency injected.

Stripe (billing), HubSpot (CRM), Zendesk (support) and Gmail (mailbox) are connected to their
local stand-ins through settings alone, each stand-in answering every request after a known
delay (:data:`LATENCY_S`); contracts and usage stay the demo world's, with
:data:`DEMO_LATENCY`. The sales manager is briefed on several accounts at once
(:data:`ACCOUNTS`, one run each, as a morning's pre-meeting briefings start together): each
run finds its customer, then reads the six systems in parallel.

Baselines, in the same run: a sequential agent making the same calls one after another through
the catalog (the sum of every call's latency), and from its timings the critical path: the
slowest lookup, then the slowest single read (each call's chain of requests measured alone),
or, where a system's requests in the wave are more than its budget's burst, the moment its
budget lets the last of them go (each request takes a token) plus one request's latency. The
stand-ins stamp every request as it arrives, so the rate each vendor sees is measured where it
would be: the most requests in any one-second window, against the budget's ceiling (a full
burst and a second of refill); the budgets' own count of their waits is reported beside it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks.common import bench_settings, log_to_file, summary_ms
from benchmarks.remote_vendors import remote_vendors
from bot.reporters.terminal import TerminalReporter
from bot.wiring import Services, running
from workflows.answers import Briefing
from workflows.catalog import CallContext
from workflows.library.briefing import briefing_plan
from workflows.models import Principal, RunRequest

ASKER: Final = "rachel.kim@northwind.example"  # the sales manager: every account is hers
ACCOUNTS: Final = ("Acme", "Quantum Freight", "Westwind Airlines", "Northgate Properties",
                   "Umbra Design Studio")  # fmt: skip
# Each stand-in's delay on every answer (seconds).
LATENCY_S: Final = {"stripe": 0.06, "hubspot": 0.12, "zendesk": 0.08, "google": 0.04}
DEMO_LATENCY: Final = "contracts=100,usage=50"
TARGET_RATIO: Final = 1.2
# Where each system's requests arrive: (stand-in, path prefix).
PATHS: Final = {
    "billing": ("stripe", "/v1/"),
    "crm": ("hubspot", "/crm/"),
    "support": ("zendesk", "/api/v2/"),
    "email": ("google", "/gmail/v1/"),
}


@dataclass(frozen=True)
class Timed:
    """One call of the sequential agent: which wave of the plan it belongs to (the lookup,
    the reads), its system, and how long it took alone."""

    wave: int
    system: str
    took_s: float


async def run(state_dir: Path, *, runs: int = 5, sequential_runs: int = 3) -> dict[str, Any]:
    """``state_dir`` must exist (the caller makes it)."""
    async with AsyncExitStack() as stack:
        vendors = await stack.enter_async_context(remote_vendors(state_dir, ASKER, LATENCY_S))
        settings = bench_settings(state_dir / ".crosswire", demo_latency=DEMO_LATENCY)
        settings = settings.model_copy(
            update={"connectors": vendors.connectors(), "previews": False, "scheduler": False}
        )
        terminal = {"cli": TerminalReporter(show_progress=False)}
        services = await stack.enter_async_context(running(settings, terminal))
        limits = services.connected.rate_limits()
        await _briefings(services, ACCOUNTS)  # warm-up: pools, tokens, caches
        single = await _case(services, ACCOUNTS[:1], limits, runs, sequential_runs)
        single.pop("rounds")
        several = await _case(services, ACCOUNTS, limits, runs, sequential_runs)
        stamps = _arrivals(await vendors.stamps(), within=several.pop("rounds"))
        waits = [w.__dict__ for w in services.budgets.waits()] if services.budgets else []
    return {**_report(single, several, stamps, limits, runs), "budget_waits": waits}


async def _case(
    services: Services, names: Sequence[str], limits: dict[str, Any], runs: int,
    sequential_runs: int,
) -> dict[str, Any]:  # fmt: skip
    """``runs`` rounds of briefings on ``names`` at once, each from full budgets (as a
    fan-out after a quiet spell), the sequential agent over the same accounts after each of
    the first ``sequential_runs`` (interleaved, so both see the machine's load alike)."""
    rest_s = max(lim.burst / lim.per_second for lim in limits.values())
    walls, slowest, cpu, lags = [], [], 0.0, LoopLag()
    rounds: list[tuple[float, float]] = []
    passes: list[list[Timed]] = []
    requests: dict[str, int] = {}
    before = _taken(services)
    for n in range(runs):
        await asyncio.sleep(rest_s)
        cpu0, started = time.process_time(), time.monotonic()
        async with lags.watching():
            wall, step_ms = await _briefings(services, names)
        cpu += time.process_time() - cpu0
        rounds.append((started, time.monotonic()))
        walls.append(wall)
        slowest.append(step_ms / 1000)
        if n == 0:
            requests = {s: t - before.get(s, 0) for s, t in _taken(services).items()}
        if n < sequential_runs:
            await asyncio.sleep(rest_s)  # its requests are paced too: from full budgets
            passes.append(await _sequential(services, names))
    engine = summary_ms(walls)
    critical = summary_ms([critical_path_s(p, limits, requests) for p in passes])
    sequential = summary_ms([sum(t.took_s for t in p) for p in passes])
    print(f"  fan-out: {len(names)} at once p50 {engine['p50_ms']:.0f} ms, critical path "
          f"{critical['p50_ms']:.0f} ms, sequential {sequential['p50_ms']:.0f} ms",
          file=sys.stderr)  # fmt: skip
    return {
        "accounts": list(names),
        "calls": len(passes[0]),
        "calls_by_system": {s: sum(1 for t in passes[0] if t.system == s) for s in PATHS},
        "engine": engine,
        "critical_path": critical,
        "sequential_agent": sequential,
        "slowest_read_in_engine": summary_ms(slowest),
        "ratio_p50_vs_critical_path": round(engine["p50_ms"] / critical["p50_ms"], 2),
        "ratio_p50_vs_sequential": round(engine["p50_ms"] / sequential["p50_ms"], 2),
        "cpu_ms_per_briefing": round(cpu * 1000 / (runs * len(names)), 1),
        "loop_lag_ms": lags.summary(),
        "rounds": rounds,
    }


def _taken(services: Services) -> dict[str, int]:
    """The tokens each paced system's budget has handed out so far (one a request)."""
    return {w.system: w.taken for w in services.budgets.waits()} if services.budgets else {}


class LoopLag:
    """How late the event loop wakes a 5 ms sleep while a round runs: time it could not
    serve anything else."""

    def __init__(self) -> None:
        self.lags: list[float] = []

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _watch(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags.append(max(0.0, time.perf_counter() - t0 - 0.005))

    def summary(self) -> dict[str, float]:
        s = summary_ms(self.lags)
        return {"p50": s["p50_ms"], "p99": s["p99_ms"], "max": s["max_ms"]}


def _principal(services: Services) -> Principal:
    employee = services.directory.find_employee(ASKER)
    assert employee is not None, f"the demo directory has no {ASKER}"
    return Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))


async def _briefings(services: Services, names: Sequence[str]) -> tuple[float, float]:
    """A briefing on each of ``names`` at once through the engine, as ``crosswire ask`` runs
    each: the wall time until the last is done, and the slowest read inside the engine (ms,
    from the audit)."""
    asker = _principal(services)
    requests = [
        RunRequest.direct(f"brief me on {name}", asker, received_at=services.clock.now())
        for name in names
    ]
    t0 = time.perf_counter()
    answers = await asyncio.gather(*(services.engine.run(r) for r in requests))
    elapsed = time.perf_counter() - t0
    slowest = 0.0
    for name, answer in zip(names, answers, strict=True):
        if not isinstance(answer, Briefing):
            raise RuntimeError(f"the briefing on {name} did not arrive: {answer!r}")
        missing = [s.key for s in answer.sections if s.status == "unavailable"]
        if missing:
            raise RuntimeError(f"sections of the briefing on {name} were missing: {missing}")
        detail = await services.audit.get_run(answer.run_id)
        steps = detail.steps if detail else []
        slowest = max([slowest, *(e.duration_ms or 0.0 for e in steps)])
    return elapsed, slowest


async def _sequential(services: Services, names: Sequence[str]) -> list[Timed]:
    """The briefings' calls one after another, as a step-by-step agent makes them."""
    timed: list[Timed] = []
    for name in names:
        lookup, *reads = briefing_plan(name).steps
        took, found = await _call(services, lookup.operation, dict(lookup.args))
        timed.append(Timed(0, "directory", took))
        for step in reads:
            took, _ = await _call(services, step.operation, {"account": found["account"]})
            timed.append(Timed(1, services.catalog.get(step.operation).system, took))
    return timed


async def _call(services: Services, name: str, args: dict[str, Any]) -> tuple[float, Any]:
    operation = services.catalog.get(name)
    payload = operation.input_model.model_validate(args)
    ctx = CallContext(run_id="bench-agent", step_id=name, requester_email=ASKER)
    t0 = time.perf_counter()
    output = await operation.handler(payload, ctx)
    return time.perf_counter() - t0, output.model_dump(mode="json")


def _arrivals(
    seen: dict[str, list[tuple[str, float]]], *, within: list[tuple[float, float]]
) -> dict[str, list[float]]:
    """Arrival times of each system's requests (monotonic seconds) during the rounds."""

    def counted(path: str, at: float, prefix: str) -> bool:
        return path.startswith(prefix) and any(start <= at <= end for start, end in within)

    return {
        system: sorted(at for path, at in seen[name] if counted(path, at, prefix))
        for system, (name, prefix) in PATHS.items()
    }


def most_in_a_second(stamps: Sequence[float]) -> int:
    """The most arrivals in any one-second window (each window starting at an arrival)."""
    most, j = 0, 0
    for i, t in enumerate(stamps):
        while stamps[j] < t - 1.0 + 1e-9:
            j += 1
        most = max(most, i - j + 1)
    return most


def critical_path_s(
    timed: list[Timed], limits: dict[str, Any], requests: dict[str, int] | None = None
) -> float:
    """The least a parallel run of these calls can take: each wave as long as its slowest
    call, or as the moment a system's budget lets the last of its ``requests`` in a round go
    (one token each, beyond the burst as tokens come in) plus that request's own latency (a
    call's chain over its requests)."""
    total = 0.0
    for wave in sorted({t.wave for t in timed}):
        longest = 0.0
        for system in {t.system for t in timed if t.wave == wave}:
            chains = [t.took_s for t in timed if t.wave == wave and t.system == system]
            longest = max(longest, *chains)
            limit, sent = limits.get(system), (requests or {}).get(system, 0)
            if limit is None or sent <= limit.burst:
                continue
            hop = min(chains) / max(1.0, sent / len(chains))  # one request's latency
            longest = max(longest, (sent - limit.burst) / limit.per_second + hop)
        total += longest
    return total


def _report(
    single: dict[str, Any], several: dict[str, Any], stamps: dict[str, list[float]],
    limits: dict[str, Any], runs: int,
) -> dict[str, Any]:  # fmt: skip
    rates: dict[str, Any] = {}
    for system, arrivals in stamps.items():
        limit = limits.get(system)
        ceiling = limit.per_second + limit.burst if limit else None
        most = most_in_a_second(arrivals)
        rates[system] = {
            "requests_per_round": round(len(arrivals) / runs, 1),
            "calls_per_round": several["calls_by_system"][system],
            "most_requests_in_a_second": most,
            "budget": {"per_second": limit.per_second, "burst": limit.burst} if limit else None,
            "ceiling_per_second": ceiling,
            "within_budget": ceiling is None or most <= ceiling,
        }
    ratio = several["ratio_p50_vs_critical_path"]
    return {
        "name": "briefing_fanout",
        "config": {
            "asker": ASKER,
            "latency_s": LATENCY_S,
            "demo_latency": DEMO_LATENCY,
            "rounds": runs,
        },
        "single": single,
        "several": several,
        "target_ratio": TARGET_RATIO,
        "rates": rates,
        "met": ratio <= TARGET_RATIO and all(r["within_budget"] for r in rates.values()),
    }


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The table's lines: wall time against the critical path and the sequential agent, and
    the most requests each vendor saw in a second against its budget."""
    lines: list[tuple[str, str, str, str]] = []
    for case in (r["single"], r["several"]):
        e, c, s = case["engine"], case["critical_path"], case["sequential_agent"]
        ratio = case["ratio_p50_vs_critical_path"]
        lines += [
            (f"briefings on {len(case['accounts'])} account(s) at once, {case['calls']} calls",
             "", "", ""),
            ("  engine.run p50 / p90", f"{e['p50_ms']:.1f} / {e['p90_ms']:.1f} ms",
             f"{case['cpu_ms_per_briefing']:g} ms CPU/briefing",
             f"loop lag max {case['loop_lag_ms']['max']:.0f} ms"),
            (f"  ratio p50 / critical path {c['p50_ms']:.0f} ms", f"{ratio:.2f}x",
             f"<= {r['target_ratio']}x", "met" if ratio <= r["target_ratio"] else "NOT MET"),
            (f"  ratio p50 / sequential agent {s['p50_ms']:.0f} ms",
             f"{case['ratio_p50_vs_sequential']:.2f}x",
             f"slowest read in engine p50 {case['slowest_read_in_engine']['p50_ms']:.0f} ms", ""),
        ]  # fmt: skip
    for system, rate in r["rates"].items():
        limit = f"<= {rate['ceiling_per_second']:g}" if rate["budget"] else "no budget"
        lines.append((
            f"  {system}: most requests in a second ({rate['calls_per_round']} calls, "
            f"{rate['requests_per_round']:g} requests a round)",
            str(rate["most_requests_in_a_second"]),
            limit,
            "met" if rate["within_budget"] else "NOT MET",
        ))  # fmt: skip
    for w in r.get("budget_waits", []):
        lines.append((
            f"  {w['system']}: the budget's waits ({w['taken']} requests in all)",
            f"{w['waits']} waits, {w['requests']} requests waited",
            f"longest {w['longest_s']:g} s", "",
        ))  # fmt: skip
    return lines


def main() -> None:
    log_to_file()
    with tempfile.TemporaryDirectory(prefix="crosswire-bench-") as tmp:
        results = asyncio.run(run(Path(tmp)))
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()

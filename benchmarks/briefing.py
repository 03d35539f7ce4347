"""Benchmark 2: the critical path of a briefing.

A briefing reads six systems. With 200 ms injected into each (``demo_latency="*=200"``) the
slowest single system, 200 ms, is the least a run can take: the ratio wall time / 200 ms says
how close ``Engine.run`` comes to it (a sequential agent would be ~6x). Measured in the same
run: the six operations called one after another through the catalog (the sequential
baseline), the same six gathered concurrently without the engine, and the engine with 0 ms
injected (its own per-run overhead: planning, DBOS checkpoints, audit rows, composing).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.common import DANA_EMAIL, MENTION_TEXT, bench_settings, summary_ms
from bot.reporters.terminal import TerminalReporter
from bot.wiring import Services, running
from workflows.answers import Briefing
from workflows.catalog import CallContext
from workflows.library.briefing import SYSTEM_STEPS
from workflows.models import Principal, RunRequest

LATENCY_MS = 200
TARGET_RATIO = 1.2
SUBJECT = "Acme"


def _request(services: Services) -> RunRequest:
    """A request as ``crosswire ask`` builds it (bot/cli/ask.py)."""
    employee = services.directory.find_employee(DANA_EMAIL)
    assert employee is not None, "the demo directory has no Dana Reyes"
    principal = Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))
    return RunRequest.direct(MENTION_TEXT, principal, received_at=services.clock.now())


async def _engine_run(services: Services) -> float:
    request = _request(services)
    t0 = time.perf_counter()
    answer = await services.engine.run(request)
    elapsed = time.perf_counter() - t0
    if not isinstance(answer, Briefing):
        raise RuntimeError(f"the benchmark run did not produce a briefing: {answer!r}")
    failed = [s.key for s in answer.sections if s.status == "unavailable"]
    if failed:
        raise RuntimeError(f"sections failed during the benchmark: {failed}")
    return elapsed


def _calls(services: Services) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    """The six system reads, as the engine would call them, straight through the catalog."""
    resolution = services.directory.resolve_account(SUBJECT)
    assert resolution.account is not None, f"the demo world has no {SUBJECT}"
    account = resolution.account.model_dump(mode="json")
    calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
    for step_id, name, _ in SYSTEM_STEPS:
        operation = services.catalog.get(name)
        payload = operation.input_model.model_validate({"account": account})
        ctx = CallContext(run_id="bench-direct", step_id=step_id, requester_email=DANA_EMAIL)
        calls.append((name, functools.partial(operation.handler, payload, ctx)))
    return calls


async def _sequential(services: Services) -> tuple[float, dict[str, float]]:
    per_op: dict[str, float] = {}
    t0 = time.perf_counter()
    for name, call in _calls(services):
        t = time.perf_counter()
        await call()
        per_op[name] = time.perf_counter() - t
    return time.perf_counter() - t0, per_op


async def _gathered(services: Services) -> float:
    calls = _calls(services)
    t0 = time.perf_counter()
    await asyncio.gather(*(call() for _, call in calls))
    return time.perf_counter() - t0


async def _repeat(n: int, fn: Callable[[], Awaitable[float]]) -> list[float]:
    return [await fn() for _ in range(n)]


def _progress(label: str, values: list[float]) -> None:
    s = summary_ms(values)
    print(
        f"  briefing: {label:<38} p50 {s['p50_ms']:8.1f} ms  p90 {s['p90_ms']:8.1f} ms",
        file=sys.stderr,
    )


async def run(
    state_dir: Path, *, runs: int = 10, sequential_runs: int = 5, warmup: int = 2
) -> dict[str, Any]:
    terminal = {"cli": TerminalReporter(show_progress=False)}

    async with running(bench_settings(state_dir / "slow", demo_latency="*=200"), terminal) as svc:
        for _ in range(warmup):
            await _engine_run(svc)
        engine_slow = await _repeat(runs, lambda: _engine_run(svc))
        _progress("engine.run, 6 x 200 ms", engine_slow)
        sequential: list[float] = []
        slowest_ops: list[float] = []
        for _ in range(sequential_runs):
            total, per_op = await _sequential(svc)
            sequential.append(total)
            slowest_ops.append(max(per_op.values()))
        _progress("sequential catalog calls, 6 x 200 ms", sequential)
        gathered_slow = await _repeat(runs, lambda: _gathered(svc))
        _progress("gathered catalog calls, 6 x 200 ms", gathered_slow)

    async with running(bench_settings(state_dir / "fast"), terminal) as svc:
        for _ in range(warmup):
            await _engine_run(svc)
        cpu0 = time.process_time()
        engine_fast = await _repeat(runs, lambda: _engine_run(svc))
        cpu_per_run_ms = (time.process_time() - cpu0) * 1000 / runs
        _progress("engine.run, 0 ms", engine_fast)
        gathered_fast = await _repeat(runs, lambda: _gathered(svc))
        _progress("gathered catalog calls, 0 ms", gathered_fast)

    critical_ms = float(LATENCY_MS)
    s_engine = summary_ms(engine_slow)
    s_seq = summary_ms(sequential)
    s_fast = summary_ms(engine_fast)
    s_gather_fast = summary_ms(gathered_fast)
    slowest = summary_ms(slowest_ops)
    return {
        "name": "briefing_critical_path",
        "config": {
            "systems": len(SYSTEM_STEPS),
            "injected_latency_ms": LATENCY_MS,
            "engine_runs": runs,
            "sequential_runs": sequential_runs,
            "warmup_runs": warmup,
            "critical_path_ms": critical_ms,
        },
        "engine_200ms": s_engine,
        "sequential_200ms": s_seq,
        "gathered_direct_200ms": summary_ms(gathered_slow),
        "slowest_single_op_200ms": slowest,
        "engine_0ms": s_fast,
        "gathered_direct_0ms": s_gather_fast,
        "engine_overhead_ms_p50": round(s_fast["p50_ms"] - s_gather_fast["p50_ms"], 2),
        "engine_cpu_ms_per_run_0ms": round(cpu_per_run_ms, 1),
        "ratio_p50": round(s_engine["p50_ms"] / critical_ms, 2),
        "ratio_p90": round(s_engine["p90_ms"] / critical_ms, 2),
        "ratio_sequential_p50": round(s_seq["p50_ms"] / critical_ms, 2),
        "ratio_vs_measured_slowest_op": round(s_engine["p50_ms"] / slowest["p50_ms"], 2),
        "target_ratio": TARGET_RATIO,
        "met": s_engine["p50_ms"] / critical_ms <= TARGET_RATIO,
    }

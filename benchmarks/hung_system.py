"""Benchmark 3: a briefing with one hung system, against its configured deadline.

The same briefing as benchmark 2 (six systems, 200 ms injected into each), once with every
system healthy and once with the support desk never answering (``demo_faults=
"support=timeout"``), under the default deadline settings (``CROSSWIRE_RUN_DEADLINE`` 8 s,
``CROSSWIRE_LATE_GRACE`` 2 s). The hung case runs with a breaker that never opens, so every
run meets the hung system and waits its grace; a third case keeps the default breaker and
measures the briefings after it opened (the hung system is not asked at all).

Ratios: hung wall time / the configured run deadline (target <= 1.0: it finishes within its
deadline), and hung wall time / (healthy wall time + grace) (the bound the grace promises; 1.0
means no time lost beyond it). Before deadlines, the same briefing took about 31 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DANA_EMAIL, MENTION_TEXT, bench_settings, summary_ms
from bot.reporters.terminal import TerminalReporter
from bot.settings import Settings
from bot.wiring import Services, running
from workflows.answers import Briefing
from workflows.models import Principal, RunRequest

LATENCY = "*=200"
HUNG = "support"
TARGET_RATIO_DEADLINE = 1.0
TARGET_RATIO_GRACE = 1.1
BEFORE_S = 31.0


def _settings(state_dir: Path, **changes: Any) -> Settings:
    return bench_settings(state_dir, demo_latency=LATENCY).model_copy(update=changes)


async def _briefing(services: Services, expect_missing: set[str]) -> float:
    """One briefing through the engine, as ``crosswire ask`` runs it; its wall time."""
    employee = services.directory.find_employee(DANA_EMAIL)
    assert employee is not None, "the demo directory has no Dana Reyes"
    principal = Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))
    request = RunRequest.direct(MENTION_TEXT, principal, received_at=services.clock.now())
    t0 = time.perf_counter()
    answer = await services.engine.run(request)
    elapsed = time.perf_counter() - t0
    if not isinstance(answer, Briefing):
        raise RuntimeError(f"the benchmark run did not produce a briefing: {answer!r}")
    missing = {s.key for s in answer.sections if s.status == "unavailable"}
    if missing != expect_missing:
        raise RuntimeError(f"expected {expect_missing or 'no'} missing sections, got {missing}")
    return elapsed


async def _case(settings: Settings, label: str, runs: int, warmup: int, missing: set[str]) -> Any:
    terminal = {"cli": TerminalReporter(show_progress=False)}
    async with running(settings, terminal) as services:
        for _ in range(warmup):
            await _briefing(services, missing)
        walls = [await _briefing(services, missing) for _ in range(runs)]
    s = summary_ms(walls)
    print(
        f"  hung system: {label:<36} p50 {s['p50_ms']:8.1f} ms  p90 {s['p90_ms']:8.1f} ms",
        file=sys.stderr,
    )
    return s


async def run(state_dir: Path, *, runs: int = 5) -> dict[str, Any]:
    defaults = _settings(state_dir / "defaults")
    deadline_s, grace_s = defaults.run_deadline_s, defaults.late_grace_s
    healthy = await _case(defaults, "none hung", runs, 2, set())
    hung = await _case(
        _settings(state_dir / "hung", demo_faults=f"{HUNG}=timeout", breaker_timeouts=100),
        f"{HUNG} hung, cut off each time",
        runs,
        1,
        {HUNG},
    )
    # Two runs time out, which opens the default breaker; the runs measured skip the system.
    shed = await _case(
        _settings(state_dir / "shed", demo_faults=f"{HUNG}=timeout"),
        f"{HUNG} hung, breaker open",
        runs,
        defaults.breaker_timeouts,
        {HUNG},
    )
    bound_ms = healthy["p50_ms"] + grace_s * 1000
    ratio_deadline = hung["p90_ms"] / (deadline_s * 1000)
    ratio_grace = hung["p50_ms"] / bound_ms
    return {
        "name": "briefing_with_a_hung_system",
        "config": {
            "systems": 6,
            "injected_latency": LATENCY,
            "hung": HUNG,
            "run_deadline_s": deadline_s,
            "late_grace_s": grace_s,
            "runs_per_case": runs,
        },
        "healthy": healthy,
        "hung_cut_off": hung,
        "hung_breaker_open": shed,
        "ratio_hung_p90_vs_deadline": round(ratio_deadline, 2),
        "ratio_hung_p50_vs_healthy_plus_grace": round(ratio_grace, 2),
        "ratio_breaker_open_p50_vs_healthy": round(shed["p50_ms"] / healthy["p50_ms"], 2),
        "before_deadlines_s": BEFORE_S,
        "target_ratio_deadline": TARGET_RATIO_DEADLINE,
        "target_ratio_grace": TARGET_RATIO_GRACE,
        "met": ratio_deadline <= TARGET_RATIO_DEADLINE and ratio_grace <= TARGET_RATIO_GRACE,
    }

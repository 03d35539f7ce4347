"""Benchmark 6: a briefing while 1,000 runs wait for approval, against none waiting.

The services are assembled as ``crosswire ask`` assembles them (``bot.wiring.running``: DBOS
and the audit on SQLite, the demo systems with 200 ms injected into each, the approval
sweeper every 5 s, approvals printed, here into a discarded stream), with one change: the
planner also knows :data:`ONE_EMAIL`, a plan of one email to a prospect, which the approval
policy holds for Rachel Kim. The briefing of benchmark 2 (``brief me on Acme``, six systems x
200 ms) is timed with no run waiting; then 1,000 one-email runs are started and, once the
approval store holds 1,000 pending approvals, the briefing is timed again. A waiting run holds
no working slot, and should cost a briefing nothing.

The benchmark runs in a process of its own (:func:`run_in_child`): the 1,000 runs are still
waiting when it ends, and a DBOS shutdown does not end their tasks, so in the parent they
would wake inside the next benchmark's DBOS.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import (
    DANA_EMAIL,
    MENTION_TEXT,
    RESULTS_DIR,
    bench_settings,
    json_from_child,
    summary_ms,
)
from bot.logging import configure_logging
from bot.reporters.terminal import TerminalReporter
from bot.reporters.terminal_approvals import TerminalApprovalNotifier
from bot.wiring import Services, running
from workflows.answers import Briefing
from workflows.approvals.policy import ApprovalPolicy
from workflows.audit.tables import approvals
from workflows.catalog import Catalog
from workflows.engine import Engine, bind
from workflows.models import Objective, Principal, RunRequest
from workflows.plan import Plan, Step
from workflows.planning import Planner, PlanningResult
from workflows.ports import ApprovalNotifier, People

ONE_EMAIL = "bench: email one prospect"
TARGET_RATIO = 1.1
WAIT_S = 240.0
LOG_FILE = RESULTS_DIR / "bench-waiting.log"


def one_email_plan() -> Plan:
    """One email to a prospect outside Northwind: the policy wants a manager's approval."""
    send = Step(
        id="send",
        operation="email.send",
        args={
            "to": "jordan.blake@prospect.example",
            "subject": "Following up on the webinar",
            "body": "Hi Jordan,\n\nThanks for joining last week's webinar.\n\nDana",
        },
        title="Send the follow-up",
    )
    return Plan(workflow="follow_up", subject="Webinar follow-up", steps=(send,))


@dataclass
class OneEmailOr:
    """Plans :data:`ONE_EMAIL` as one gated email; anything else as ``other`` plans it."""

    other: Planner
    name: str = "bench"

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult:
        if objective.text == ONE_EMAIL:
            return one_email_plan()
        return await self.other.plan(objective, catalog, requester)


def _dana(services: Services) -> Principal:
    employee = services.directory.find_employee(DANA_EMAIL)
    assert employee is not None, "the demo directory has no Dana Reyes"
    return Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))


async def _briefing(engine: Engine, services: Services) -> float:
    request = RunRequest.direct(MENTION_TEXT, _dana(services), received_at=services.clock.now())
    t0 = time.perf_counter()
    answer = await engine.run(request)
    elapsed = time.perf_counter() - t0
    if not isinstance(answer, Briefing):
        raise RuntimeError(f"the benchmark run did not produce a briefing: {answer!r}")
    return elapsed


async def _pending(services: Services) -> int:
    query = select(func.count()).select_from(approvals).where(approvals.c.status == "pending")
    async with services.audit.engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def _start_waiting(engine: Engine, services: Services, count: int) -> float:
    """Start ``count`` one-email runs; seconds until all ``count`` approvals are pending."""
    t0 = time.perf_counter()
    for _ in range(count):
        request = RunRequest.direct(ONE_EMAIL, _dana(services), received_at=services.clock.now())
        await engine.submit(request, audit_duplicates=False)
    deadline = t0 + WAIT_S
    while (pending := await _pending(services)) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {pending} of {count} runs wait for approval")
        await asyncio.sleep(0.25)
    elapsed = time.perf_counter() - t0
    await asyncio.sleep(1.0)  # the last runs move from posting to waiting
    return elapsed


def _in_waiting_room(engine: Engine) -> int | None:
    return engine.boundary.room.waiting if engine.boundary is not None else None


async def _idle_cores(seconds: float = 2.0) -> float:
    """The process's CPU (all threads) while no request is served, in cores."""
    cpu0 = time.process_time()
    await asyncio.sleep(seconds)
    return round((time.process_time() - cpu0) / seconds, 3)


def _progress(label: str, values: list[float]) -> None:
    s = summary_ms(values)
    print(
        f"  approvals: briefing, {label:<22} p50 {s['p50_ms']:8.1f} ms  p90 {s['p90_ms']:8.1f} ms",
        file=sys.stderr,
    )


async def run(
    state_dir: Path, *, waiting: int = 1000, runs: int = 15, warmup: int = 2
) -> dict[str, Any]:
    """The briefing with none waiting, then with ``waiting`` runs waiting for approval."""
    discarded = io.StringIO()

    def printed(people: People, policy: ApprovalPolicy) -> ApprovalNotifier:
        return TerminalApprovalNotifier(people, stream=discarded)

    settings = bench_settings(state_dir, demo_latency="*=200")
    reporters = {"cli": TerminalReporter(stream=discarded, show_progress=False)}
    async with running(settings, reporters, notifier=printed) as services:
        engine = dataclasses.replace(services.engine, planner=OneEmailOr(services.planner))
        bind(engine)
        for _ in range(warmup):
            await _briefing(engine, services)
        none = [await _briefing(engine, services) for _ in range(runs)]
        _progress("none waiting", none)
        idle_none = await _idle_cores()
        setup_s = await _start_waiting(engine, services, waiting)
        pending = await _pending(services)
        in_room = _in_waiting_room(engine)
        idle_waiting = await _idle_cores()
        cpu0 = time.process_time()
        many = [await _briefing(engine, services) for _ in range(runs)]
        cpu_ms = (time.process_time() - cpu0) * 1000 / runs
        _progress(f"{pending} waiting", many)
        still = await _pending(services)
        in_room_after = _in_waiting_room(engine)
    s_none, s_many = summary_ms(none), summary_ms(many)
    ratio_p50 = s_many["p50_ms"] / s_none["p50_ms"]
    ratio_p90 = s_many["p90_ms"] / s_none["p90_ms"]
    return {
        "name": "briefing_with_runs_waiting",
        "config": {"waiting": waiting, "briefings": runs, "injected_latency_ms": 200},
        "pending_before": pending,
        "pending_after": still,
        # Runs actually waiting (in the waiting room, holding no slot) when the briefings
        # started and when they ended; the rest still work towards their wait.
        "in_waiting_room_before": in_room,
        "in_waiting_room_after": in_room_after,
        "runs_reached_approval_s": round(setup_s, 1),
        "none_waiting": s_none,
        "with_waiting": s_many,
        "cpu_ms_per_briefing_with_waiting": round(cpu_ms, 1),
        # Where waiting runs would cost: with each waiting in DBOS.recv, DBOS's SQLite
        # listener read every one of them every 50 ms (0.7 cores for 1,000); the waiting
        # room (workflows.engine.waiting_room) reads them all in one query.
        "idle_cpu_cores_none_waiting": idle_none,
        "idle_cpu_cores_with_waiting": idle_waiting,
        "ratio_p50": round(ratio_p50, 2),
        "ratio_p90": round(ratio_p90, 2),
        "target_ratio": TARGET_RATIO,
        "met": ratio_p50 <= TARGET_RATIO and ratio_p90 <= TARGET_RATIO,
    }


async def run_in_child(state_dir: Path, *, timeout_s: float = 600.0) -> dict[str, Any]:
    """:func:`run` in a child process (``python -m benchmarks.approvals_waiting``); its
    progress goes to this process's stderr, its product logs to ``bench-waiting.log``."""
    return await json_from_child(
        "benchmarks.approvals_waiting",
        str(state_dir),
        timeout_s=timeout_s,
        what="the waiting-runs benchmark",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.approvals_waiting")
    parser.add_argument("state_dir", type=Path, help="an empty folder for the services' state")
    args = parser.parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with LOG_FILE.open("w", encoding="utf-8") as log:
        configure_logging("INFO", "json", stream=log)
        result = asyncio.run(run(args.state_dir))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

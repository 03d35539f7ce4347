"""Benchmark 5: the engine's cost per durable step, against a bare DBOS workflow.

A plan of N trivial steps (a chain: each step after the one before, so one step per wave)
runs through a real :class:`~workflows.engine.Engine` (a catalog of one no-op operation, a
scripted planner, a SQLite audit, DBOS on SQLite) and is timed from ``Engine.run`` to its
answer. The baseline, in the same process and the same DBOS, is a ``@DBOS.workflow`` that
awaits N ``DBOS.run_step_async`` no-ops, timed from ``DBOS.start_workflow_async`` to its
result. Both are measured at 1 step (the fixed cost per run dominates) and at 200 steps (the
cost per step does), interleaved, so a noisy moment on the machine hits both alike; besides the
ratio of the p50s, the p50 of each round's ratio (a round is one bare run, then one engine run)
is reported, which a machine whose load drifts between rounds moves less. The DBOS checkpoints
of one run of each are counted too: on SQLite they are most of what a run costs.
"""

from __future__ import annotations

import functools
import io
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

from dbos import DBOS, SetWorkflowID
from pydantic import BaseModel

from benchmarks.common import DANA_EMAIL, summary_ms
from bot.reporters.terminal import TerminalReporter
from workflows.answers import Notice
from workflows.audit import AuditStore
from workflows.catalog import CallContext, Catalog, Operation
from workflows.clock import SystemClock
from workflows.engine import CircuitBreakers, Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library import ComposeInput
from workflows.models import Principal, RunRequest
from workflows.plan import Plan, Step
from workflows.planning import ScriptedPlanner

WORKFLOW = "bench_steps"
NOOP = "bench.noop"
STEP_COUNTS = (1, 200)


class Nothing(BaseModel):
    """The no-op operation's input and output."""


async def _noop(inp: Nothing, ctx: CallContext) -> Nothing:
    return inp


async def _bare_step() -> None:
    return None


@DBOS.workflow(name="bench.bare_steps")
async def bare_steps(count: int) -> int:
    """The floor: ``count`` checkpointed no-op steps, one after another."""
    for i in range(count):
        await DBOS.run_step_async({"name": f"step:s{i}"}, _bare_step)
    return count


def chain(count: int) -> Plan:
    """``count`` no-op steps, each after the one before."""
    steps = tuple(
        Step(id=f"s{i}", operation=NOOP, after=(f"s{i - 1}",) if i else ()) for i in range(count)
    )
    return Plan(workflow=WORKFLOW, subject="Steps", steps=steps)


def _answer(data: ComposeInput) -> Notice:
    failed = [k for k, r in data.results.items() if not r.ok]
    text = f"{len(data.results)} steps, failed: {failed}"
    return Notice(run_id=data.run_id, reason="help", title="steps", text=text)


def _engine(audit: AuditStore, planner: ScriptedPlanner) -> Engine:
    catalog = Catalog.of(
        [Operation(NOOP, "bench", "Do nothing.", Nothing, Nothing, _noop)], {"bench": "Bench"}
    )
    clock = SystemClock()
    return Engine(
        catalog=catalog,
        planner=planner,
        audit=audit,
        reporters={"cli": TerminalReporter(stream=io.StringIO(), show_progress=False)},
        caller=OperationCaller(StepPolicy(), CircuitBreakers(clock=clock), clock=clock),
        composers={WORKFLOW: _answer},
    )


def _request(count: int) -> RunRequest:
    principal = Principal(email=DANA_EMAIL, name="Dana Reyes")
    return RunRequest.direct(f"steps {count}", principal, received_at=SystemClock().now())


async def _engine_run(engine: Engine, count: int, request: RunRequest | None = None) -> float:
    request = request or _request(count)
    t0 = time.perf_counter()
    answer = await engine.run(request)
    elapsed = time.perf_counter() - t0
    if not (isinstance(answer, Notice) and answer.text == f"{count} steps, failed: []"):
        raise RuntimeError(f"the benchmark run did not run its {count} steps: {answer!r}")
    return elapsed


async def _bare_run(count: int, workflow_id: str | None = None) -> float:
    t0 = time.perf_counter()
    with SetWorkflowID(workflow_id or f"bare-{uuid4().hex}"):
        handle = await DBOS.start_workflow_async(bare_steps, count)
    done = await handle.get_result()
    elapsed = time.perf_counter() - t0
    if done != count:
        raise RuntimeError(f"the bare workflow ran {done} steps, not {count}")
    return elapsed


async def _checkpoints(engine: Engine, count: int) -> tuple[int, int]:
    """The DBOS steps recorded by one engine run and one bare run of ``count`` steps."""
    request, bare_id = _request(count), f"bare-{uuid4().hex}"
    await _engine_run(engine, count, request)
    await _bare_run(count, bare_id)
    engine_steps = await DBOS.list_workflow_steps_async(request.run_id, load_output=False)
    bare = await DBOS.list_workflow_steps_async(bare_id, load_output=False)
    return len(engine_steps), len(bare)


async def _interleaved(
    rounds: int, engine: Callable[[], Awaitable[float]], bare: Callable[[], Awaitable[float]]
) -> tuple[list[float], list[float]]:
    engine_s: list[float] = []
    bare_s: list[float] = []
    for _ in range(rounds):
        bare_s.append(await bare())
        engine_s.append(await engine())
    return engine_s, bare_s


def _progress(case: dict[str, Any]) -> None:
    e, b = case["engine"], case["bare_dbos"]
    print(
        f"  steps: {case['steps']:>3} step(s)  engine p50 {e['p50_ms']:8.1f} ms  "
        f"bare DBOS p50 {b['p50_ms']:8.1f} ms  ratio {case['ratio_p50']:.2f}x "
        f"(of rounds {case['ratio_of_rounds_p50']:.2f}x)  checkpoints "
        f"{case['engine_checkpoints']} / {case['bare_checkpoints']}",
        file=sys.stderr,
    )


async def run(state_dir: Path, *, runs_one: int = 40, runs_many: int = 8) -> dict[str, Any]:
    """Engine vs bare DBOS at 1 and 200 steps; ``runs_*`` timed runs of each (after warm-up)."""
    audit_url = f"sqlite+aiosqlite:///{state_dir / 'audit.db'}"
    audit = await AuditStore.open(audit_url)
    planner = ScriptedPlanner({f"steps {n}": chain(n) for n in STEP_COUNTS})
    engine = _engine(audit, planner)
    bind(engine)
    launch(DurableSettings(system_database_url(audit_url, str(state_dir / "dbos.sqlite")), "bench"))
    cases: dict[str, Any] = {}
    try:
        for count, rounds in zip(STEP_COUNTS, (runs_one, runs_many), strict=True):
            for _ in range(3):  # warm-up: first runs create DBOS's threads and SQLite pages
                await _engine_run(engine, count)
                await _bare_run(count)
            cpu0 = time.process_time()
            engine_s, bare_s = await _interleaved(
                rounds,
                functools.partial(_engine_run, engine, count),
                functools.partial(_bare_run, count),
            )
            cpu_ms = (time.process_time() - cpu0) * 1000 / rounds
            e, b = summary_ms(engine_s), summary_ms(bare_s)
            engine_checkpoints, bare_checkpoints = await _checkpoints(engine, count)
            cases[str(count)] = {
                "steps": count,
                "runs": rounds,
                "engine": e,
                "bare_dbos": b,
                "ratio_p50": round(e["p50_ms"] / b["p50_ms"], 2),
                "ratio_of_rounds_p50": round(
                    statistics.median(x / y for x, y in zip(engine_s, bare_s, strict=True)), 2
                ),
                "engine_checkpoints": engine_checkpoints,
                "bare_checkpoints": bare_checkpoints,
                "engine_ms_per_step_p50": round(e["p50_ms"] / count, 3),
                "bare_ms_per_step_p50": round(b["p50_ms"] / count, 3),
                "cpu_ms_per_pair": round(cpu_ms, 1),
            }
            _progress(cases[str(count)])
    finally:
        shutdown()
        await audit.close()
    one, many = cases["1"], cases["200"]
    per_step_engine = (many["engine"]["p50_ms"] - one["engine"]["p50_ms"]) / 199
    per_step_bare = (many["bare_dbos"]["p50_ms"] - one["bare_dbos"]["p50_ms"]) / 199
    return {
        "name": "engine_steps",
        "config": {"step_counts": list(STEP_COUNTS), "runs": [runs_one, runs_many]},
        "cases": cases,
        "ratio_1_step_p50": one["ratio_p50"],
        "ratio_200_steps_p50": many["ratio_p50"],
        # What a run costs beyond its steps, and what each further step costs, from the two.
        "engine_fixed_ms": round(one["engine"]["p50_ms"] - per_step_engine, 2),
        "bare_fixed_ms": round(one["bare_dbos"]["p50_ms"] - per_step_bare, 2),
        "engine_ms_per_added_step": round(per_step_engine, 3),
        "bare_ms_per_added_step": round(per_step_bare, 3),
    }

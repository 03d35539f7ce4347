"""Benchmark 7: 10,000 registered schedules, how late their ticks fire and what they cost in
memory, against APScheduler alone with no-op jobs.

Both sides hold the same timetable: 10,000 schedules, of which :data:`HOT` fire every
``LEAD_S``…``LEAD_S + WINDOW_S`` seconds (spread evenly, counted from when each was added,
so their ticks fall in a window of ``WINDOW_S`` seconds after the last one is added) and the
rest on interval triggers of hours or daily cron triggers at least an hour away. Each side
runs in a fresh process of its own, so their memory compares:

- *baseline*: a bare ``AsyncIOScheduler`` (the job defaults the scheduler uses) holding
  10,000 no-op async jobs; lateness = when the job body runs minus its tick;
- *Crosswire*: the services of ``crosswire serve`` (``bot.wiring.running``: DBOS and the audit
  on SQLite, the demo systems) and the real scheduler (``bot.slack_bot.build_scheduler``, its
  Slack client on the Web API stand-in in a process of its own), the 10,000 schedules added
  through ``ScheduleStore.add`` (the hot ones once the scheduler runs, picked up by
  ``Scheduler.changed`` as an in-process add is); every tick starts a real briefing run
  delivered to a channel. Lateness = the run started (the audit's ``schedule_fire`` event,
  written once ``Engine.submit`` has returned: DBOS on SQLite keeps whole seconds) minus its
  tick; the fire's own record (``schedule_fires.lateness_ms``, taken as firing begins) and
  APScheduler's dispatch of the job (a listener; Crosswire's code is untouched) are shown too.

The rate is :data:`HOT` = 100 schedules (about 140 ticks in the window, 5.6 a second on
average, from 4 to 9 towards its end as the shortest intervals come round again), not
the few hundred first planned: with 250 (14 ticks a second) the fires, which the scheduler
starts one at a time at about 100 ms each while runs write to the same SQLite files, queued
without end (p50 7 s, p99 21 s), and the window measured the queue; with the fires made
concurrent (an experiment), the runs fell behind instead (8 at a time, 10 s each on SQLite).

Memory: the process's resident set (``/proc/self/statm``) grown from before the schedules
exist to when all are registered, and to its peak in the window (sampled every 0.1 s, with the
event loop's lag). The ratio is Crosswire's growth over the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from benchmarks.common import json_from_child

SCHEDULES: Final = 10_000
HOT: Final = 100
LEAD_S: Final = 10
WINDOW_S: Final = 25
DRAIN_S: Final = 30.0
SAMPLE_S: Final = 0.1
TARGET_P99_MS: Final = 1000.0
TARGET_MEMORY_RATIO: Final = 1.5
# As workflows.schedules.service sets them (checked in the Crosswire process).
JOB_DEFAULTS: Final = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
HOT_PREFIX: Final = "bench-hot-"
NOTE: Final = "fire rate cut to 100 hot schedules: at 250 the scheduler's serial fires queued"
DANA_EMAIL: Final = "dana.reyes@northwind.example"
DONE: Final = ("SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")

if TYPE_CHECKING:
    from bot.wiring import Services
    from workflows.models import Principal
    from workflows.schedules.service import Scheduler
    from workflows.schedules.store import ScheduleStore


@dataclass(frozen=True)
class Spec:
    """One schedule of the timetable: an interval in seconds, or a five-field cron."""

    id: str
    every_s: int | None = None
    cron: str | None = None

    def trigger(self) -> IntervalTrigger | CronTrigger:
        """APScheduler's own trigger for it (an interval counts from now)."""
        if self.every_s is not None:
            return IntervalTrigger(seconds=self.every_s, timezone=UTC)
        assert self.cron is not None
        minute, hour, day, month, dow = self.cron.split()
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=UTC
        )


def timetable(now: datetime) -> list[Spec]:
    """The 10,000 schedules, the :data:`HOT` ones last."""
    cold: list[Spec] = []
    for i in range(SCHEDULES - HOT):
        if i % 2:
            cold.append(Spec(f"bench-cold-{i:05d}", every_s=7200 + 7 * i))
        else:  # daily, 2 to 21 hours from now: never in the window
            hour = (now.hour + 2 + (i // 60) % 20) % 24
            dow = ("*", "mon-fri", "sat,sun")[i % 3]
            cold.append(Spec(f"bench-cold-{i:05d}", cron=f"{i % 60} {hour} * * {dow}"))
    hot = [Spec(f"{HOT_PREFIX}{i:04d}", every_s=LEAD_S + i * WINDOW_S // HOT) for i in range(HOT)]
    return cold + hot


def rss_mb() -> float:
    """The process's resident set, in MiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def settled_rss_mb() -> float:
    gc.collect()
    return rss_mb()


def ticks_due(added: dict[str, tuple[datetime, int]], end: datetime) -> int:
    """How many ticks the hot schedules (added at, every) have up to ``end``."""
    return sum(int((end - at).total_seconds() // every) for at, every in added.values())


async def watch(until: datetime) -> dict[str, float]:
    """Sample the resident set and the event loop's lag until ``until`` (wall clock)."""
    peak, lags = rss_mb(), [0.0]
    while datetime.now(UTC) < until:
        t0 = time.perf_counter()
        await asyncio.sleep(SAMPLE_S)
        lags.append(time.perf_counter() - t0 - SAMPLE_S)
        peak = max(peak, rss_mb())
    return {"rss_peak_mb": peak, "loop_lag_max_ms": round(max(lags) * 1000, 1)}


class Dispatches:
    """APScheduler's own record of each job it hands to its executor: the tick it was for and
    when it was handed over (a listener on ``EVENT_JOB_SUBMITTED``)."""

    def __init__(self) -> None:
        self.ticks: dict[str, deque[datetime]] = defaultdict(deque)
        self.seen: list[tuple[datetime, float]] = []

    def __call__(self, event: JobSubmissionEvent) -> None:
        if event.job_id.startswith(HOT_PREFIX):
            tick = event.scheduled_run_times[-1]
            self.ticks[event.job_id].append(tick)
            self.seen.append((tick, (datetime.now(UTC) - tick).total_seconds()))

    def late_s(self, end: datetime) -> list[float]:
        """How late each tick up to ``end`` was handed over, in seconds."""
        return [late for tick, late in self.seen if tick <= end]


async def baseline() -> dict[str, Any]:
    """APScheduler alone: 10,000 no-op jobs; each hot job's lateness as its body runs."""
    dispatches, ran = Dispatches(), []

    async def noop(job_id: str) -> None:
        ran.append((dispatches.ticks[job_id].popleft(), datetime.now(UTC)))

    rss0 = settled_rss_mb()
    aps = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    aps.add_listener(dispatches, EVENT_JOB_SUBMITTED)
    aps.start()
    added: dict[str, tuple[datetime, int]] = {}
    t0 = time.perf_counter()
    for spec in timetable(datetime.now(UTC)):
        aps.add_job(noop, spec.trigger(), args=[spec.id], id=spec.id)
        if spec.every_s is not None and spec.id.startswith(HOT_PREFIX):
            added[spec.id] = (datetime.now(UTC), spec.every_s)
    await asyncio.sleep(0.5)  # the wake-ups each add scheduled
    registered_s, rss1 = time.perf_counter() - t0, settled_rss_mb()
    end = max(at for at, _ in added.values()) + timedelta(seconds=LEAD_S + WINDOW_S)
    print(f"  schedules: baseline registered in {registered_s:.1f} s", file=sys.stderr)
    cpu0 = time.process_time()
    window = await watch(end)
    cpu = (time.process_time() - cpu0) / WINDOW_S
    await asyncio.sleep(1.0)
    jobs = len(aps.get_jobs())
    aps.shutdown(wait=False)
    return {
        "jobs": jobs,
        "registered_s": round(registered_s, 2),
        "ticks_due": ticks_due(added, end),
        "lateness_s": [(at - tick).total_seconds() for tick, at in ran if tick <= end],
        "dispatch_lateness_s": dispatches.late_s(end),
        "rss_before_mb": rss0,
        "rss_registered_mb": rss1,
        "cpu_cores_in_window": round(cpu, 3),
        **window,
    }


async def crosswire(state_dir: Path) -> dict[str, Any]:
    """The real scheduler on the services of ``crosswire serve``, each tick a briefing run.

    Crosswire is imported here, not at the top: the baseline's process holds APScheduler
    alone."""
    from benchmarks.common import DANA, TOKEN, bench_settings
    from benchmarks.remote_slack import remote_standin
    from bot.reporters.slack import SlackReporter
    from bot.slack_bot import build_scheduler
    from bot.slack_client import web_client
    from bot.wiring import running
    from workflows.schedules import service

    assert service.JOB_DEFAULTS == JOB_DEFAULTS, "the baseline's job defaults are out of date"
    async with remote_standin(TOKEN, {DANA: DANA_EMAIL}) as remote:
        client = web_client(TOKEN, base_url=remote.base_url)
        reporters = {"slack": SlackReporter(client)}
        async with running(bench_settings(state_dir), reporters) as services:
            scheduler = build_scheduler(services, client)
            try:
                return await _crosswire_window(services, scheduler)
            finally:
                await scheduler.stop()
                await _drained(f"sched-{HOT_PREFIX}")


async def _crosswire_window(services: Services, scheduler: Scheduler) -> dict[str, Any]:
    """Cold schedules added, the scheduler started (it registers them), the hot ones added and
    picked up as an in-process add is (``changed``); then the window."""
    store, owner = services.schedules, await _warmed_up(services)
    rss0, t0 = settled_rss_mb(), time.perf_counter()
    cold, hot = _split(timetable(store.clock.now()))
    await _add_all(store, owner, cold)
    added_s, rss_added = time.perf_counter() - t0, settled_rss_mb()
    print(f"  schedules: Crosswire added {len(cold):,} in {added_s:.1f} s", file=sys.stderr)
    t1 = time.perf_counter()
    await scheduler.start()
    assert scheduler._aps is not None, "the benchmark's scheduler does not lead"
    dispatches = Dispatches()  # instruments APScheduler only: Crosswire's code is untouched
    scheduler._aps.add_listener(dispatches, EVENT_JOB_SUBMITTED)
    started_s = time.perf_counter() - t1
    added = await _add_all(store, owner, hot)
    await scheduler.changed()
    rss1 = settled_rss_mb()
    print(f"  schedules: Crosswire registered in {started_s:.1f} s", file=sys.stderr)
    end = max(at for at, _ in added.values()) + timedelta(seconds=LEAD_S + WINDOW_S)
    cpu0 = time.process_time()
    window = await watch(end)
    cpu = (time.process_time() - cpu0) / WINDOW_S
    due = ticks_due(added, end)
    fires = await _fired(services, end, due)
    await scheduler.stop()
    await _drained(f"sched-{HOT_PREFIX}")
    runs = await _runs(services, [f["run_id"] for f in fires])
    return {
        "jobs": len(await store.listed()),
        "added_s": round(added_s, 1),
        "registered_s": round(started_s, 2),
        "ticks_due": due,
        "lateness_s": [f["started_at"] - f["fire_at"] for f in fires],
        "recorded_lateness_s": [f["lateness_ms"] / 1000 for f in fires],
        "dispatch_lateness_s": dispatches.late_s(end),
        "runs_started": len(fires),
        "runs_done_by_window_end": sum(done <= end.timestamp() for done in runs.values()),
        "run_s": [runs[f["run_id"]] - f["started_at"] for f in fires if f["run_id"] in runs],
        "drained_after_window_s": round(max(runs.values(), default=0) - end.timestamp(), 1),
        "rss_before_mb": rss0,
        "rss_added_mb": rss_added,
        "rss_registered_mb": rss1,
        "cpu_cores_in_window": round(cpu, 3),
        **window,
    }


def _split(specs: list[Spec]) -> tuple[list[Spec], list[Spec]]:
    cold = [s for s in specs if not s.id.startswith(HOT_PREFIX)]
    return cold, specs[len(cold) :]


async def _warmed_up(services: Services) -> Principal:
    """Dana, as a schedule's owner, after one briefing run to a channel (as a tick starts)."""
    from benchmarks.common import CHANNEL, DANA, MENTION_TEXT
    from workflows.answers import Briefing
    from workflows.models import Objective, Principal, ReplyTarget, RunRequest

    employee = services.directory.find_employee(DANA_EMAIL)
    assert employee is not None, "the demo directory has no Dana Reyes"
    owner = Principal(
        email=employee.email, name=employee.name, roles=tuple(employee.roles), slack_user_id=DANA
    )
    reply = ReplyTarget(kind="slack", channel=CHANNEL, user_id=DANA, progress=False)
    objective = Objective(
        text=MENTION_TEXT,
        trigger="schedule",
        trigger_id="bench-warm-up",
        reply=reply,
        received_at=services.clock.now(),
    )
    answer = await services.engine.run(
        RunRequest(run_id="bench-warm-up", objective=objective, principal=owner)
    )
    if not isinstance(answer, Briefing):
        raise RuntimeError(f"the warm-up run did not produce a briefing: {answer!r}")
    return owner


async def _add_all(
    store: ScheduleStore, owner: Principal, specs: list[Spec]
) -> dict[str, tuple[datetime, int]]:
    """``specs`` through ``ScheduleStore.add``; the interval ones' (added at, every)."""
    from benchmarks.common import CHANNEL, MENTION_TEXT
    from workflows.schedules.when import When

    added: dict[str, tuple[datetime, int]] = {}
    for spec in specs:
        text = spec.cron or f"every {spec.every_s} seconds"
        when = When(text=text, tz="UTC", cron=spec.cron, every_s=spec.every_s)
        schedule = await store.add(
            when, MENTION_TEXT, owner, channel=CHANNEL, source="cli", schedule_id=spec.id
        )
        if spec.every_s is not None:
            added[schedule.id] = (schedule.created_at, spec.every_s)
    return added


async def _fired(services: Services, end: datetime, due: int) -> list[dict[str, Any]]:
    """The hot schedules' fires for ticks up to ``end``, with when their runs were started
    (the audit's ``schedule_fire`` event, written once ``Engine.submit`` has returned), once
    all ``due`` are in (or :data:`DRAIN_S` later). Times in epoch seconds."""
    from sqlalchemy import select

    from workflows.audit.tables import events, schedule_fires

    query = (
        select(schedule_fires, events.c.at.label("started_at"))
        .join(events, events.c.run_id == schedule_fires.c.run_id)
        .where(
            events.c.kind == "schedule_fire",
            schedule_fires.c.schedule_id.startswith(HOT_PREFIX),
            schedule_fires.c.fire_at <= end,
        )
    )
    deadline = time.monotonic() + DRAIN_S
    while True:
        async with services.audit.engine.connect() as conn:
            rows = [dict(r._mapping) for r in await conn.execute(query)]
        if len(rows) >= due or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    for row in rows:
        for key in ("fire_at", "started_at"):
            row[key] = row[key].replace(tzinfo=UTC).timestamp()
    return rows


async def _drained(prefix: str) -> None:
    """Wait (at most :data:`DRAIN_S`) until no run whose id starts with ``prefix`` is left."""
    from dbos import DBOS

    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        found = await DBOS.list_workflows_async(
            workflow_id_prefix=prefix, load_input=False, load_output=False
        )
        if all(w.status in DONE for w in found):
            return
        await asyncio.sleep(0.25)


async def _runs(services: Services, run_ids: list[str]) -> dict[str, float]:
    """When each of ``run_ids`` finished, as the audit says (epoch seconds)."""
    from sqlalchemy import select

    from workflows.audit.tables import runs

    query = select(runs.c.run_id, runs.c.finished_at).where(
        runs.c.run_id.in_(run_ids), runs.c.finished_at.is_not(None)
    )
    async with services.audit.engine.connect() as conn:
        found = await conn.execute(query)
        return {r.run_id: r.finished_at.replace(tzinfo=UTC).timestamp() for r in found}


def summarise(base: dict[str, Any], cross: dict[str, Any]) -> dict[str, Any]:
    """The headline figures and the goals, from the two processes' raw figures."""
    from benchmarks.common import summary_ms

    def memory(side: dict[str, Any]) -> dict[str, float]:
        before = side["rss_before_mb"]
        return {
            "process_rss_mb": round(side["rss_peak_mb"], 1),
            "registered_growth_mb": round(side["rss_registered_mb"] - before, 1),
            "peak_growth_mb": round(side["rss_peak_mb"] - before, 1),
        }

    b_mem, c_mem = memory(base), memory(cross)
    late = summary_ms(cross["lateness_s"])
    ratio = c_mem["registered_growth_mb"] / max(b_mem["registered_growth_mb"], 0.1)
    ratio_peak = c_mem["peak_growth_mb"] / max(b_mem["peak_growth_mb"], 0.1)
    all_fired = len(cross["lateness_s"]) >= cross["ticks_due"]
    drop = ("lateness_s", "recorded_lateness_s", "dispatch_lateness_s", "run_s")
    return {
        "name": "schedules",
        "config": {"schedules": SCHEDULES, "hot": HOT, "lead_s": LEAD_S, "window_s": WINDOW_S}
        | {"note": NOTE},
        "baseline": {k: v for k, v in base.items() if k not in drop}
        | {"lateness": summary_ms(base["lateness_s"]), "memory": b_mem}
        | {"dispatch_lateness": summary_ms(base["dispatch_lateness_s"])},
        "crosswire": {k: v for k, v in cross.items() if k not in drop}
        | {"lateness": late, "memory": c_mem}
        | {"recorded_lateness": summary_ms(cross["recorded_lateness_s"])}
        | {"dispatch_lateness": summary_ms(cross["dispatch_lateness_s"])}
        | {"run": summary_ms(cross["run_s"])},
        "ratio_memory": round(ratio, 2),
        "ratio_memory_peak": round(ratio_peak, 2),
        "target_p99_ms": TARGET_P99_MS,
        "target_ratio_memory": TARGET_MEMORY_RATIO,
        "met_lateness": all_fired and late["p99_ms"] < TARGET_P99_MS,
        "met_memory": ratio <= TARGET_MEMORY_RATIO,
    }


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The benchmark's lines in the table ``python -m benchmarks`` prints."""
    b, c = r["baseline"], r["crosswire"]
    bl, cl, cr, cd = b["lateness"], c["lateness"], c["recorded_lateness"], c["dispatch_lateness"]
    bm, cm = b["memory"], c["memory"]

    def pair(s: dict[str, Any]) -> str:
        return f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} ms"

    return [
        (
            f"{r['config']['schedules']:,} schedules, {c['ticks_due']} ticks due in "
            f"{r['config']['window_s']} s",
            f"{r['config']['hot']} firing",
            "rate cut: at 250 fires queue",
            "",
        ),
        ("  APScheduler alone: job ran p50 / p99", pair(bl), f"{bl['n']} of {b['ticks_due']}", ""),
        (
            "  Crosswire: run started p50 / p99",
            pair(cl),
            f"p99 < {r['target_p99_ms']:g} ms",
            "met" if r["met_lateness"] else "NOT MET",
        ),
        ("  Crosswire: fire recorded p50 / p99", pair(cr), f"{cl['n']} of {c['ticks_due']}", ""),
        (
            "  Crosswire: APScheduler dispatch p50 / p99",
            pair(cd),
            f"alone {pair(b['dispatch_lateness'])}",
            "",
        ),
        (
            "  memory for the schedules: Crosswire / alone",
            f"{cm['registered_growth_mb']:.1f} / {bm['registered_growth_mb']:.1f} MiB",
            f"{r['ratio_memory']:.2f}x, <= {r['target_ratio_memory']}x",
            "met" if r["met_memory"] else "NOT MET",
        ),
        (
            "  peak in the window: growth / process",
            f"{cm['peak_growth_mb']:.1f} / {bm['peak_growth_mb']:.1f} MiB",
            f"{r['ratio_memory_peak']:.2f}x",
            f"{cm['process_rss_mb']:.0f} / {bm['process_rss_mb']:.0f} MiB",
        ),
        (
            "  Crosswire runs: done in window / started",
            f"{c['runs_done_by_window_end']} / {c['runs_started']}",
            f"drained {c['drained_after_window_s']:g} s after",
            f"run p50 {c['run']['p50_ms']:.0f} ms",
        ),
        (
            "  loop lag max / CPU in the window",
            f"{c['loop_lag_max_ms']:.0f} / {b['loop_lag_max_ms']:.0f} ms",
            f"{c['cpu_cores_in_window']:.2f} / {b['cpu_cores_in_window']:.2f} cores",
            f"added in {c['added_s']:g} s",
        ),
    ]


async def run(state_dir: Path, *, timeout_s: float = 300.0) -> dict[str, Any]:
    """Each side in a fresh process (``python -m benchmarks.schedules SIDE STATE_DIR``)."""
    base = await _child("baseline", state_dir / "baseline", timeout_s)
    cross = await _child("crosswire", state_dir / "crosswire", timeout_s)
    return summarise(base, cross)


async def _child(side: str, state_dir: Path, timeout_s: float) -> dict[str, Any]:
    return await json_from_child(
        "benchmarks.schedules",
        side,
        str(state_dir),
        timeout_s=timeout_s,
        what=f"the schedules benchmark ({side})",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.schedules")
    parser.add_argument("side", choices=("baseline", "crosswire"))
    parser.add_argument("state_dir", type=Path, help="an empty folder for the side's state")
    args = parser.parse_args(argv)
    if args.side == "baseline":
        result = asyncio.run(baseline())
    else:
        from benchmarks.common import RESULTS_DIR
        from bot.logging import configure_logging

        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        with (RESULTS_DIR / "bench-schedules.log").open("w", encoding="utf-8") as log:
            configure_logging("INFO", "json", stream=log)
            result = asyncio.run(crosswire(args.state_dir))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

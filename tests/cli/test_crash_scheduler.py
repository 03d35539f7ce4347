"""Two ``crosswire serve`` processes on one PostgreSQL database share a schedule: each tick
starts exactly one run and posts exactly one message, and SIGKILL of the process that runs the
scheduler loses no tick. The other process takes the lead; a tick that falls due during the
takeover is fired late, not dropped (nor coalesced with the next); a tick whose run was under
way in the dead process is answered once, by the survivor.

Both serves run in HTTP mode against one Slack stand-in (a process of its own, see
``conftest.py``), each with its own state folder and executor id. The schedule ticks every
4 seconds (the store takes an interval the phrase parser refuses), so the test waits seconds,
not minutes. Everything is checked afterwards from what the processes left behind: the
schedule's fires, the audit's runs, DBOS's workflows, the posts Slack accepted and the
processes' own logs.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cli.conftest import TOKEN
from tests.cli.scheduler_replicas import (
    Replica,
    fall_silent,
    posted_answers,
    replica,
    scheduler_lock_holders,
    until,
)
from tests.postgres_server import POSTGRES_SERVER, postgres_database
from workflows.audit import AuditStore
from workflows.audit.tables import runs, schedule_fires
from workflows.clock import SystemClock
from workflows.models import Principal
from workflows.schedules.models import Schedule, schedule_run_id
from workflows.schedules.store import ScheduleStore
from workflows.schedules.when import When

CHANNEL = "C0SCHEDCRASH"
TICK_S = 4
LED_BEFORE_THE_KILL_S = 12.0
ALONE_AFTER_THE_KILL_S = 16.0
KILL_BEFORE_A_TICK_S = 0.5  # the tick falls due during the takeover (retried every 2 s)
ANSWERED_WITHIN_S = 25.0  # a dead replica's run waits for the survivor's sweep (every 10 s)
KILL_POINTS = ("just_before_a_tick", "while_a_tick_runs")
# Every demo read takes 1.5 s, so a run takes seconds and the kill lands inside one.
SLOW_READS = {"CROSSWIRE_DEMO_LATENCY": "*=1500"}
# Dana as `crosswire schedule add --as dana.reyes@northwind.example` stores her (the
# directory's roles), with her id in the stand-in.
DANA = Principal(
    email="dana.reyes@northwind.example",
    name="Dana Reyes",
    roles=("sales",),
    slack_user_id="U0DANA",
)


async def add_schedule(store: ScheduleStore) -> Schedule:
    when = When(text="every 4 seconds", tz="UTC", every_s=TICK_S)
    return await store.add(when, "brief me on Acme", DANA, channel=CHANNEL, source="cli")


async def fired(engine: AsyncEngine, schedule_id: str) -> list[tuple[datetime, datetime, str]]:
    """The schedule's fires as recorded: (due at, fired at, run id), in order of the tick."""
    query = (
        select(schedule_fires.c.fire_at, schedule_fires.c.fired_at, schedule_fires.c.run_id)
        .where(schedule_fires.c.schedule_id == schedule_id)
        .order_by(schedule_fires.c.fire_at)
    )
    async with engine.connect() as conn:
        return [(due, at, run) for due, at, run in (await conn.execute(query)).all()]


async def audited_runs(engine: AsyncEngine, schedule_id: str) -> list[str]:
    query = select(runs.c.run_id).where(runs.c.run_id.like(f"sched-{schedule_id}-%"))
    async with engine.connect() as conn:
        return list((await conn.execute(query)).scalars())


async def workflows(engine: AsyncEngine, schedule_id: str) -> dict[str, tuple[str, str]]:
    """DBOS's workflows of the schedule's runs: each one's status and executor."""
    query = text(
        "SELECT workflow_uuid, status, executor_id FROM dbos.workflow_status"
        " WHERE workflow_uuid LIKE :p"
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query, {"p": f"sched-{schedule_id}-%"})).all()
    return {str(run): (str(status), str(executor)) for run, status, executor in rows}


async def unanswered(engine: AsyncEngine, slack_api: str, schedule_id: str) -> set[str]:
    """The runs of recorded fires that have no answer in Slack yet."""
    wanted = {run for _, _, run in await fired(engine, schedule_id)}
    return wanted - set(await posted_answers(slack_api, CHANNEL))


async def the_leader(replicas: list[Replica]) -> Replica:
    """The one process that says it leads."""

    async def someone_leads() -> bool:
        return any(r.times_led() for r in replicas)

    await until(someone_leads, 60)
    [leader] = [r for r in replicas if r.times_led()]
    return leader


async def sigkill(leader: Replica) -> datetime:
    leader.process.send_signal(signal.SIGKILL)
    await leader.process.wait()
    return datetime.now(UTC)


async def kill_just_before_a_tick(
    leader: Replica, engine: AsyncEngine, slack_api: str, schedule_id: str
) -> datetime:
    """With nothing under way, SIGKILL ``leader`` :data:`KILL_BEFORE_A_TICK_S` before the
    schedule's next tick; when it died."""

    async def all_answered() -> bool:
        return not await unanswered(engine, slack_api, schedule_id)

    await until(all_answered, ANSWERED_WITHIN_S)
    schedule = await ScheduleStore(engine, SystemClock()).get(schedule_id)
    assert schedule is not None and schedule.next_fire_at is not None
    kill_at = schedule.next_fire_at - timedelta(seconds=KILL_BEFORE_A_TICK_S)
    wait_s = (kill_at - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(wait_s if wait_s > 0.1 else wait_s + TICK_S)
    return await sigkill(leader)


async def kill_while_a_tick_runs(
    leader: Replica, engine: AsyncEngine, slack_api: str, schedule_id: str
) -> datetime:
    """SIGKILL ``leader`` once it has fired a tick whose run has not answered yet; then its
    heartbeat is made as old as it would be a minute later, so the survivor's next sweep
    takes its run over within the test."""

    async def one_runs() -> bool:
        started = {e["run_id"] for e in leader.logged("schedule.fired")}
        return bool(started - set(await posted_answers(slack_api, CHANNEL)))

    await until(one_runs, TICK_S * 2)
    killed_at = await sigkill(leader)
    assert await unanswered(engine, slack_api, schedule_id), "the run ended before the kill"
    await fall_silent(engine, leader.executor)
    return killed_at


KILLS = {"just_before_a_tick": kill_just_before_a_tick, "while_a_tick_runs": kill_while_a_tick_runs}


def gaps(due_times: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Neighbouring fires further apart than one tick: the ticks between them were lost."""
    step = timedelta(seconds=TICK_S)
    return [(a, b) for a, b in itertools.pairwise(due_times) if b - a != step]


@dataclass(frozen=True)
class Observed:
    """What two serves and a kill left behind."""

    schedule: Schedule
    leader: Replica
    survivor: Replica
    killed_at: datetime
    paused_at: datetime
    lock_holders_after_the_kill: int
    fires: list[tuple[datetime, datetime, str]]
    audited: list[str]
    durable: dict[str, tuple[str, str]]
    answers: Counter[str]

    def context(self) -> str:
        timeline = [(d.isoformat(), round((f - d).total_seconds(), 2)) for d, f, _ in self.fires]
        return f"killed at {self.killed_at.isoformat()}; (tick, seconds late): {timeline}"


async def two_serves_and_a_kill(
    tmp_path: Path, slack_api: str, url: str, engine: AsyncEngine, kill_point: str
) -> Observed:
    """Two serves, a schedule, the leader killed at ``kill_point``, the survivor alone; then
    the schedule paused, every fire answered, both stopped."""
    extra = SLOW_READS if kill_point == "while_a_tick_runs" else {}
    store, clock = ScheduleStore(engine, SystemClock()), asyncio.get_running_loop().time
    # The second starts while the first's ticks run: a start takes seconds.
    async with replica(tmp_path, "east", slack_api, TOKEN, url, extra) as east:
        await the_leader([east])
        schedule, added = await add_schedule(store), clock()
        async with replica(tmp_path, "west", slack_api, TOKEN, url, extra) as west:
            leader = await the_leader([east, west])
            assert await scheduler_lock_holders(engine) == 1
            # Both up for at least two ticks before the kill.
            await asyncio.sleep(max(LED_BEFORE_THE_KILL_S - (clock() - added), 2 * TICK_S))
            killed_at = await KILLS[kill_point](leader, engine, slack_api, schedule.id)
            await asyncio.sleep(ALONE_AFTER_THE_KILL_S)
            holders = await scheduler_lock_holders(engine)
            assert await store.pause(schedule.id, "the test is over")
            paused_at = datetime.now(UTC)
            await asyncio.sleep(1.5)  # a fire under way when it paused is recorded now

            async def all_answered() -> bool:
                return not await unanswered(engine, slack_api, schedule.id)

            await until(all_answered, ANSWERED_WITHIN_S)
            await asyncio.sleep(1.0)  # a second answer to any run would show by now
    return Observed(
        schedule,
        leader,
        west if leader is east else east,
        killed_at,
        paused_at,
        holders,
        await fired(engine, schedule.id),
        await audited_runs(engine, schedule.id),
        await workflows(engine, schedule.id),
        await posted_answers(slack_api, CHANNEL),
    )


def assert_every_tick_once(seen: Observed) -> None:
    """An unbroken series of ticks, from the first after the schedule was added to the last
    before it was paused; one run per tick, named after it (one workflow, one audited run,
    all done); one message per run in the schedule's channel, and none for any other."""
    due = [d for d, _, _ in seen.fires]
    assert gaps(due) == [], f"lost ticks; {seen.context()}"
    assert due[0] == seen.schedule.next_fire_at, seen.context()
    assert due[-1] > seen.paused_at - timedelta(seconds=TICK_S + 1.5), seen.context()
    run_ids = [run for _, _, run in seen.fires]
    assert run_ids == [schedule_run_id(seen.schedule.id, d) for d in due]
    assert sorted(seen.audited) == sorted(run_ids)
    assert sorted(seen.durable) == sorted(run_ids)
    assert {status for status, _ in seen.durable.values()} == {"SUCCESS"}
    scheduled = Counter({r: n for r, n in seen.answers.items() if r.startswith("sched-")})
    assert scheduled == Counter(dict.fromkeys(run_ids, 1))


def assert_the_survivor_took_over(seen: Observed) -> None:
    """The leader fired the ticks until it died, the survivor (leading from after the kill,
    alone) every tick after."""
    by_leader = {e["run_id"] for e in seen.leader.logged("schedule.fired")}
    by_survivor = {e["run_id"] for e in seen.survivor.logged("schedule.fired")}
    before = {r for d, _, r in seen.fires if d < seen.killed_at}
    after = {r for d, _, r in seen.fires if d > seen.killed_at}
    assert (by_leader, by_survivor) == (before, after), seen.context()
    assert len(before) >= 2 and len(after) >= 3, seen.context()
    assert {seen.durable[r][1] for r in after} == {seen.survivor.executor}
    assert len(seen.leader.times_led()) == 1
    [took_over] = seen.survivor.times_led()
    assert took_over > seen.killed_at
    assert seen.lock_holders_after_the_kill == 1


@pytest.mark.postgres
@pytest.mark.parametrize("kill_point", KILL_POINTS)
async def test_two_serves_fire_each_tick_once_and_a_killed_leader_loses_none(
    slack_api: str, tmp_path: Path, kill_point: str
) -> None:
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER}/{name}"
        audit = await AuditStore.open(url)  # the tables, before either process starts
        try:
            seen = await two_serves_and_a_kill(tmp_path, slack_api, url, audit.engine, kill_point)
        finally:
            await audit.close()
    assert_every_tick_once(seen)
    assert_the_survivor_took_over(seen)

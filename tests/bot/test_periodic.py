"""Work done beside the app every so often (``bot.periodic``): a stop waits for a pass in
flight to finish its transaction, on a real SQLite database through aiosqlite, and cancels
only a pass that overruns its grace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.periodic import Periodic
from workflows.audit.store import create_engine_for

HOUR = 3600.0
marks = sa.Table("marks", sa.MetaData(), sa.Column("n", sa.Integer, primary_key=True))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'marks.db'}")
    async with made.begin() as conn:
        await conn.run_sync(marks.metadata.create_all)
    yield made
    await made.dispose()


class TwoMarks:
    """A pass that writes two rows in one transaction, holding it open between them until
    ``release`` is set."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = 0

    async def __call__(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(sa.insert(marks), [{"n": 1}])
            self.inside.set()
            await self.release.wait()
            await conn.execute(sa.insert(marks), [{"n": 2}])
        self.finished += 1


async def written(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.select(marks.c.n).order_by(marks.c.n))).scalars())


async def test_a_stop_lets_the_pass_in_flight_commit(engine: AsyncEngine) -> None:
    work = TwoMarks(engine)
    periodic = Periodic("marks", work, HOUR, failed="marks.failed", first_at_once=True)
    periodic.start()
    await work.inside.wait()

    stopping = asyncio.create_task(periodic.stop())
    await asyncio.sleep(0.01)
    assert not stopping.done()  # waiting for the pass, not cancelling it
    work.release.set()
    await stopping

    assert work.finished == 1
    assert await written(engine) == [1, 2]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_pass_that_overruns_the_grace_is_cancelled_and_writes_nothing(
    engine: AsyncEngine,
) -> None:
    work = TwoMarks(engine)
    periodic = Periodic("marks", work, HOUR, failed="marks.failed", first_at_once=True)
    periodic.start()
    await work.inside.wait()

    await periodic.stop(grace_s=0.01)  # the pass never gets its release

    assert work.finished == 0
    assert await written(engine) == []  # its transaction rolled back
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_stop_before_the_first_pass_is_due_returns_at_once() -> None:
    ran: list[int] = []

    async def work() -> None:
        ran.append(1)

    periodic = Periodic("idle", work, HOUR, failed="idle.failed")
    periodic.start()
    await asyncio.sleep(0)
    await asyncio.wait_for(periodic.stop(), timeout=5)  # not an hour
    assert ran == [] and periodic.passes == 0


async def test_a_blip_is_logged_and_the_next_pass_goes_on() -> None:
    outcomes: list[str] = []
    two = asyncio.Event()

    async def work() -> None:
        outcomes.append("tried")
        if len(outcomes) == 1:
            raise OSError("the database blinked")
        two.set()

    periodic = Periodic("blips", work, 0.001, failed="blips.failed", blips=(OSError,))
    periodic.start()
    await asyncio.wait_for(two.wait(), timeout=5)
    await periodic.stop()
    assert outcomes[:2] == ["tried", "tried"]


async def test_a_pass_waits_for_the_edge_to_give_way() -> None:
    quiet = asyncio.Event()
    ran = asyncio.Event()

    async def pacer() -> None:
        await quiet.wait()

    async def work() -> None:
        ran.set()

    periodic = Periodic("paced", work, 0.001, failed="paced.failed", pacer=pacer)
    periodic.start()
    await asyncio.sleep(0.02)
    assert not ran.is_set()
    quiet.set()
    await asyncio.wait_for(ran.wait(), timeout=5)
    await periodic.stop()

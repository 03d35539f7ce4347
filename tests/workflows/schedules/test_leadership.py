"""Leadership: one process per database leads, another takes over when it dies or stops.

The process tests run each contender as a process of its own
(:mod:`tests.workflows.schedules.leader_process`) on real SQLite files and a real PostgreSQL
database, kill the leader with SIGKILL and read who led when from the contenders' logs.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from structlog.testing import capture_logs

from tests.postgres_server import POSTGRES_SERVER, postgres_database
from workflows.audit.store import create_engine_for
from workflows.schedules.leadership import Leadership, lock_key

RETRY_S = 0.2
DEADLINE_S = 10.0
PROCESS_START_S = 30.0
Log = list[tuple[str, int]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database of either kind, as a person writes its URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'crosswire.db'}"
        return
    async with postgres_database() as name:
        yield f"{POSTGRES_SERVER}/{name}"


async def until(condition: Callable[[], bool], deadline_s: float = DEADLINE_S) -> None:
    """Return once ``condition()`` holds; fail if it does not within ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def events(log: Path) -> Log:
    """A contender's ``(gain|loss, monotonic ns)`` lines, oldest first."""
    if not log.exists():
        return []
    lines = (line.split() for line in log.read_text().splitlines())
    return [(what, int(at)) for what, at in lines]


def terms(log: Path, ended_at: int | None = None) -> list[tuple[int, int]]:
    """The spans in which a contender led; a term still open ends at ``ended_at`` (when the
    process was killed) or now."""
    spans, start = [], None
    for what, at in events(log):
        if what == "gain":
            assert start is None, f"gained twice without a loss: {events(log)}"
            start = at
        else:
            assert start is not None, f"lost without a gain: {events(log)}"
            spans.append((start, at))
            start = None
    if start is not None:
        spans.append((start, ended_at or time.monotonic_ns()))
    return spans


def never_two_at_once(*spans: list[tuple[int, int]]) -> bool:
    ordered = sorted(span for each in spans for span in each)
    return all(end <= after[0] for (_, end), after in itertools.pairwise(ordered))


@asynccontextmanager
async def contenders(url: str, *logs: Path) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """A contender process per log, all started at once and each running once it says so;
    killed with SIGKILL when the block ends if still running."""
    processes = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "tests.workflows.schedules.leader_process"),
            *(url, str(log), str(RETRY_S)),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        for log in logs
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            ready = await asyncio.wait_for(process.stdout.readline(), PROCESS_START_S)
            assert ready.strip() == b"started", ready
        yield processes
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()


async def test_one_process_leads_and_another_takes_over_when_it_dies_or_stops(
    database_url: str, tmp_path: Path
) -> None:
    logs = [tmp_path / f"contender-{n}.log" for n in range(3)]
    async with contenders(database_url, *logs[:2]) as processes:
        await until(lambda: any(events(log) for log in logs))
        await asyncio.sleep(5 * RETRY_S)  # time enough for the other to take it too, wrongly
        (leader,) = [n for n in range(2) if events(logs[n])]
        other = 1 - leader
        assert [what for what, _ in events(logs[leader])] == ["gain"] and not events(logs[other])
        killed_at = time.monotonic_ns()
        processes[leader].send_signal(signal.SIGKILL)
        await processes[leader].wait()
        await until(lambda: bool(events(logs[other])))
        ((what, gained_at),) = events(logs[other])
        assert what == "gain" and gained_at > killed_at
        async with contenders(database_url, logs[2]):
            await asyncio.sleep(5 * RETRY_S)
            assert not events(logs[2])  # the survivor leads: the newcomer waits
            processes[other].send_signal(signal.SIGTERM)  # stop(): it hands over
            assert await asyncio.wait_for(processes[other].wait(), DEADLINE_S) == 0
            await until(lambda: bool(events(logs[2])))
    assert [what for what, _ in events(logs[other])] == ["gain", "loss"]
    assert [what for what, _ in events(logs[2])] == ["gain"]
    assert never_two_at_once(terms(logs[leader], killed_at), terms(logs[other]), terms(logs[2]))


class Recorder:
    """on_gain / on_loss callbacks that note each call; ``fail_gains`` first gains raise."""

    def __init__(self, fail_gains: int = 0) -> None:
        self.calls: list[str] = []
        self.fail_gains = fail_gains

    async def gain(self) -> None:
        self.calls.append("gain")
        if self.fail_gains:
            self.fail_gains -= 1
            raise RuntimeError("the scheduler would not start")

    async def loss(self) -> None:
        self.calls.append("loss")

    def leadership(self, url: str, retry_s: float = RETRY_S) -> Leadership:
        return Leadership(url, retry_s=retry_s, on_gain=self.gain, on_loss=self.loss)


async def test_stop_releases_the_lead_to_the_next(database_url: str) -> None:
    first, second = Recorder(), Recorder()
    one, two = first.leadership(database_url), second.leadership(database_url)
    await one.start()
    assert one.held and first.calls == ["gain"]  # a lone process leads once start returns
    await two.start()
    await asyncio.sleep(5 * RETRY_S)
    assert not two.held and second.calls == []
    await one.stop()
    assert not one.held and first.calls == ["gain", "loss"]
    await until(lambda: two.held)
    assert second.calls == ["gain"]
    await two.stop()
    assert second.calls == ["gain", "loss"]


async def test_a_failing_on_gain_releases_the_lead_and_is_tried_again(database_url: str) -> None:
    flaky, steady = Recorder(fail_gains=1), Recorder()
    one, two = flaky.leadership(database_url), steady.leadership(database_url)
    with capture_logs() as logs:
        await one.start()
        assert not one.held and flaky.calls == ["gain", "loss"]  # on_loss undoes what it began
        await two.start()
        assert two.held  # the failed gain let the lock go
        await asyncio.sleep(5 * RETRY_S)
        assert not one.held and flaky.calls == ["gain", "loss"]
        await two.stop()
        await until(lambda: one.held)  # tried again later, and this time it starts
        await one.stop()
    assert flaky.calls == ["gain", "loss", "gain", "loss"]
    failed = [entry for entry in logs if entry["event"] == "leadership.gain_failed"]
    assert len(failed) == 1 and "would not start" in failed[0]["error"]


ADVISORY_LOCKS = (
    " FROM pg_locks WHERE locktype = 'advisory' AND granted AND database ="
    " (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@pytest.mark.postgres
async def test_a_killed_connection_is_a_lost_lead_then_taken_again() -> None:
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER}/{name}"
        recorder, admin = Recorder(), create_engine_for(url)
        leadership = recorder.leadership(url)
        await leadership.start()
        assert leadership.held
        try:
            async with admin.connect() as conn:
                kill = text(f"SELECT count(pg_terminate_backend(pid)) {ADVISORY_LOCKS}")
                assert (await conn.execute(kill)).scalar() == 1
            await until(lambda: recorder.calls == ["gain", "loss", "gain"])
            assert leadership.held
            async with admin.connect() as conn:
                assert (await conn.execute(text(f"SELECT count(*) {ADVISORY_LOCKS}"))).scalar() == 1
        finally:
            await leadership.stop()
            await admin.dispose()
        assert recorder.calls == ["gain", "loss", "gain", "loss"]


async def test_a_deleted_lock_file_is_a_lost_lead(tmp_path: Path) -> None:
    recorder = Recorder()
    leadership = recorder.leadership(f"sqlite:///{tmp_path / 'crosswire.db'}")
    await leadership.start()
    lock_file = tmp_path / "crosswire.db.scheduler.lock"
    assert leadership.held and lock_file.exists()
    lock_file.unlink()  # another process could now lock a new file of that name
    await until(lambda: recorder.calls == ["gain", "loss", "gain"])
    assert leadership.held and lock_file.exists()
    await leadership.stop()


async def test_an_in_memory_database_always_leads() -> None:
    first, second = Recorder(), Recorder()
    one, two = first.leadership("sqlite://"), second.leadership("sqlite+aiosqlite:///:memory:")
    await one.start()
    await two.start()
    assert one.held and two.held  # each process has a database of its own
    await one.stop()
    await two.stop()
    assert first.calls == second.calls == ["gain", "loss"]


def test_the_lock_key_is_a_fixed_bigint_per_name() -> None:
    key = lock_key("crosswire.scheduler")
    assert key == lock_key("crosswire.scheduler") != lock_key("crosswire.other")
    assert -(2**63) <= key < 2**63

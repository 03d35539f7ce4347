"""The demo world follows the clock: a server that runs past midnight answers for the new day.

Every test moves a ManualClock; none waits for the wall clock.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from structlog.testing import capture_logs

from bot.sandbox import payloads
from bot.settings import Settings
from bot.wiring import running
from connectors.demo import DemoBehaviour, DemoWorld, demo_operations, generate_world
from connectors.demo.schema import contracts
from connectors.demo.store import open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from tests.harness import CHANNEL, start_harness
from tests.harness import DANA as DANA_SLACK
from workflows.answers import Briefing, Notice
from workflows.catalog import CallContext, Catalog
from workflows.clock import ManualClock
from workflows.domain import AccountRef
from workflows.models import Principal, RunRequest
from workflows.testing import CollectingReporter

EVENING = datetime(2026, 3, 5, 23, 50, tzinfo=UTC)
DAY = EVENING.date()
DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-1", step_id="step-1", requester_email=DANA)
ACME_READS = (
    "crm.get_account",
    "email.recent_threads",
    "support.open_tickets",
    "contracts.get_contract",
    "usage.get_trend",
    "billing.list_invoices",
)


@dataclass
class Demo:
    world: DemoWorld
    clock: ManualClock
    directory: IdentityDirectory
    catalog: Catalog

    async def call(self, name: str, **args: Any) -> Any:
        op = self.catalog.get(name)
        return await op.handler(op.input_model.model_validate(args), CTX)

    @property
    def acme(self) -> AccountRef:
        account = self.directory.resolve_account("acme").account
        assert account is not None
        return account

    async def acme_reads(self) -> dict[str, dict[str, Any]]:
        outputs = await asyncio.gather(*(self.call(n, account=self.acme) for n in ACME_READS))
        return {n: _dump(o) for n, o in zip(ACME_READS, outputs, strict=True)}

    async def upcoming(self, hours: int = 24) -> list[tuple[str, datetime]]:
        found = await self.call("calendar.upcoming_meetings", owner_email=DANA, within_hours=hours)
        return [(m.title, m.starts_at) for m in found.meetings]


def _dump(output: BaseModel) -> dict[str, Any]:
    return output.model_dump(mode="json")


async def _open(path: Path, clock: ManualClock) -> Demo:
    world = await open_demo_world(path, clock=clock)
    directory = await build_directory(world)
    catalog = Catalog.of(demo_operations(world, directory, DemoBehaviour()))
    return Demo(world, clock, directory, catalog)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    opened = await _open(tmp_path / "demo.db", ManualClock(EVENING))
    yield opened
    await opened.world.close()


def _generated_for(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'today'").fetchone()[0])


def _generations(logs: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["day"] for e in logs if e["event"] == "demo.world_generated"]


async def test_past_midnight_today_moves_and_every_date_with_it(demo: Demo) -> None:
    before = await demo.acme_reads()
    assert demo.world.today == DAY
    demo.clock.advance(timedelta(minutes=20))
    with capture_logs() as logs:
        after = await demo.acme_reads()
    assert demo.world.today == DAY + timedelta(days=1)
    assert _generations(logs) == ["2026-03-06"]
    assert _generated_for(demo.world.path) == "2026-03-06"

    def renewal(reads: dict[str, dict[str, Any]]) -> date:
        return date.fromisoformat(reads["contracts.get_contract"]["contract"]["renewal_date"])

    def p1_opened(reads: dict[str, dict[str, Any]]) -> date:
        return datetime.fromisoformat(
            reads["support.open_tickets"]["tickets"][0]["opened_at"]
        ).date()

    assert renewal(before) == DAY + timedelta(days=14)
    assert renewal(after) == DAY + timedelta(days=15)
    assert p1_opened(after) - p1_opened(before) == timedelta(days=1)
    invoices = [
        after["billing.list_invoices"]["invoices"],
        before["billing.list_invoices"]["invoices"],
    ]
    shifts = {
        date.fromisoformat(a["due_on"]) - date.fromisoformat(b["due_on"])
        for a, b in zip(*invoices, strict=True)
    }
    assert shifts == {timedelta(days=1)}


async def test_no_answer_is_stale_after_midnight(demo: Demo, tmp_path: Path) -> None:
    await demo.acme_reads()
    demo.clock.advance(timedelta(minutes=20))
    fresh = await _open(tmp_path / "fresh.db", ManualClock(demo.clock.now()))
    try:
        assert await demo.acme_reads() == await fresh.acme_reads()
        assert await demo.upcoming() == await fresh.upcoming()
        for name in ("marketing.webinar_attendees", "scheduling.demo_bookings"):
            assert _dump(await demo.call(name, since_days=30)) == _dump(
                await fresh.call(name, since_days=30)
            )
    finally:
        await fresh.world.close()


async def test_upcoming_meetings_are_counted_from_the_new_now(demo: Demo) -> None:
    evening = await demo.upcoming()
    demo.clock.advance(timedelta(minutes=20))
    night = await demo.upcoming()
    now = demo.clock.now()
    assert all(now <= starts < now + timedelta(hours=24) for _, starts in night)
    # Acme's next meeting starts at 03:00 whether asked before or after midnight's rebuild.
    acme = datetime(2026, 3, 6, 3, 0, tzinfo=UTC)
    assert next(starts for title, starts in night if title.startswith("Acme")) == acme
    assert next(starts for title, starts in evening if title.startswith("Acme")) == acme
    # The prospect's discovery call is tomorrow at 17:00: 17 hours away at 23:50, but after
    # midnight "tomorrow" is a day later and beyond the next 24 hours.
    assert any("Discovery call" in title for title, _ in evening)
    assert not any("Discovery call" in title for title, _ in night)


async def test_within_a_day_reads_follow_the_clock_without_a_rebuild(tmp_path: Path) -> None:
    morning = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    demo = await _open(tmp_path / "demo.db", ManualClock(morning))
    try:
        discovery = "Discovery call"
        assert not any(discovery in title for title, _ in await demo.upcoming())
        demo.clock.advance(timedelta(hours=9))
        with capture_logs() as logs:
            meetings = await demo.upcoming()
        assert any(discovery in title for title, _ in meetings)  # 23 hours away at 18:00
        acme = next(starts for title, starts in meetings if title.startswith("Acme"))
        assert acme == datetime(2026, 3, 5, 19, 0, tzinfo=UTC)
        assert _generations(logs) == []
    finally:
        await demo.world.close()


async def test_concurrent_reads_after_midnight_rebuild_once_and_agree(demo: Demo) -> None:
    demo.clock.advance(timedelta(minutes=20))
    with capture_logs() as logs:
        results = await asyncio.gather(*(demo.acme_reads() for _ in range(8)))
    assert _generations(logs) == ["2026-03-06"]
    assert all(r == results[0] for r in results)


async def test_a_read_begun_before_a_rebuild_finishes_on_the_old_world(demo: Demo) -> None:
    query = select(contracts.c.renewal_date).where(contracts.c.id == "CTR-ACME-0001")
    async with demo.world.read() as before:
        first = (await before.conn.execute(select(contracts.c.id))).scalars().all()
        demo.clock.advance(timedelta(minutes=20))
        contract = (await demo.call("contracts.get_contract", account=demo.acme)).contract
        # The rebuild has committed; this read still sees the whole old world, not a mix.
        assert contract.renewal_date == DAY + timedelta(days=15)
        assert (await before.conn.execute(query)).scalar_one() == DAY + timedelta(days=14)
        again = (await before.conn.execute(select(contracts.c.id))).scalars().all()
        assert again == first
        assert before.today == DAY


async def test_a_rebuild_is_one_transaction(demo: Demo) -> None:
    """Another process reading the file while it is rebuilt sees either day, complete."""
    path = demo.world.path
    demo.clock.advance(timedelta(minutes=20))
    seen: list[tuple[str, int]] = []

    def peek() -> None:
        with sqlite3.connect(path) as conn:
            day = conn.execute("SELECT value FROM meta WHERE key = 'today'").fetchone()
            count = conn.execute("SELECT count(*) FROM usage_daily").fetchone()[0]
            seen.append((day[0] if day else "", count))

    async def peeking() -> None:
        for _ in range(20):
            await asyncio.to_thread(peek)

    await asyncio.gather(demo.acme_reads(), peeking())
    full = sum(len(rows) for t, rows in generate_world(7, DAY).items() if t == "usage_daily")
    assert {count for _, count in seen} == {full}
    assert {day for day, _ in seen} <= {"2026-03-05", "2026-03-06"}


async def test_the_directory_stays_valid_across_days(demo: Demo) -> None:
    """Record ids and names do not depend on the day, so a directory built once still
    links every account after the world is regenerated, even across a new year."""
    old = demo.directory
    demo.clock.set(datetime(2026, 12, 31, 23, 50, tzinfo=UTC))
    await demo.call("contracts.get_contract", account=demo.acme)
    demo.clock.advance(timedelta(days=200))
    contract = (await demo.call("contracts.get_contract", account=demo.acme)).contract
    assert contract is not None and contract.id == "CTR-ACME-0001"
    rebuilt = await build_directory(demo.world)
    assert rebuilt.accounts() == old.accounts()
    for account in old.accounts():
        assert account.links == rebuilt.account(account.account_id).links  # type: ignore[union-attr]


@pytest.mark.parametrize("days", [1, 30, 300])
def test_record_ids_do_not_depend_on_the_day(days: int) -> None:
    before, after = (
        generate_world(7, date(2026, 12, 20)),
        generate_world(7, date(2026, 12, 20) + timedelta(days=days)),
    )
    for table, rows in before.items():
        key = "tenant" if table == "usage_daily" else next(iter(rows[0]), None) if rows else None
        if key is None:
            continue
        assert {r[key] for r in rows} == {r[key] for r in after[table]}, table


async def test_going_back_in_time_regenerates_too(demo: Demo) -> None:
    demo.clock.set(EVENING - timedelta(days=3))
    contract = (await demo.call("contracts.get_contract", account=demo.acme)).contract
    assert contract.renewal_date == DAY - timedelta(days=3) + timedelta(days=14)


def _utc(moment: datetime) -> datetime:
    """The audit store may give back naive UTC times (SQLite keeps no zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _facts(answer: Briefing | Notice) -> str:
    assert isinstance(answer, Briefing), answer
    return " | ".join(f.text for s in answer.sections for f in s.facts)


async def test_a_briefing_is_dated_by_the_clock_not_the_wall(settings: Settings) -> None:
    clock = ManualClock(datetime(2031, 3, 5, 23, 50, tzinfo=UTC))
    async with running(settings, {"cli": CollectingReporter()}, clock=clock) as services:
        dana = services.directory.find_employee(DANA)
        assert dana is not None
        principal = Principal(email=dana.email, name=dana.name, roles=tuple(dana.roles))

        async def brief() -> Briefing | Notice:
            request = RunRequest.direct("brief me on Acme", principal, received_at=clock.now())
            return await services.engine.run(request)

        evening = await brief()
        clock.advance(timedelta(minutes=20))
        night = await brief()
        detail = await services.audit.get_run(night.run_id)
    assert isinstance(evening, Briefing) and isinstance(night, Briefing)
    assert evening.generated_at == datetime(2031, 3, 5, 23, 50, tzinfo=UTC)
    assert night.generated_at == datetime(2031, 3, 6, 0, 10, tzinfo=UTC)
    assert "Mar 19 (in 14 days)" in _facts(evening)
    assert "Mar 20 (in 14 days)" in _facts(night)
    assert detail is not None
    assert detail.run.finished_at is not None
    assert _utc(detail.run.created_at) == _utc(detail.run.finished_at) == clock.now()
    assert {_utc(e.at) for e in detail.events} == {clock.now()}


async def test_a_mention_is_received_at_the_clock_s_time(settings: Settings) -> None:
    clock = ManualClock(datetime(2031, 3, 5, 23, 50, tzinfo=UTC))
    async with start_harness(settings, clock=clock) as slack:
        mention = payloads.app_mention(
            "brief me on Acme", user=DANA_SLACK, channel=CHANNEL, event_id="Ev0CLOCK"
        )
        assert (await slack.send(mention)).status == 200
        detail = await slack.finished("slack-Ev0CLOCK")
    assert detail.run.status == "completed"
    assert _utc(detail.run.created_at) == clock.now()
    assert "Mar 19 (in 14 days)" in json.dumps(detail.events[-1].detail)

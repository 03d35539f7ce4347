"""Schedules and pre-meeting briefings through the whole bot: the real app on the Slack
stand-in, DBOS and the audit on SQLite and PostgreSQL, the demo calendar, a manual clock.

The scheduler is driven by :meth:`Scheduler.sync`, the same call its APScheduler jobs make,
after moving the clock: no test waits for the wall clock.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.audit import audit_show
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from connectors.demo.calendar_edit import cancel_meeting, move_meeting
from tests.harness import CHANNEL, DANA, SlackHarness, block_texts, start_harness
from tests.state import seeded, seeded_postgres
from workflows.clock import ManualClock
from workflows.domain import Meeting
from workflows.models import Principal
from workflows.schedules import briefing_run_id, parse_when, schedule_run_id
from workflows.schedules.calendars import CatalogCalendars

# A Tuesday. Dana's Acme QBR recurs at 03:00, 07:00, … 15:00 UTC; her weekly sync with
# another customer at … 13:30, 17:30 (see connectors/demo/story.py).
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
ACME_AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
DANA_EMAIL = "dana.reyes@northwind.example"
GRACE = "U0GRACE"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    state = tmp_path / "state"
    if request.param == "sqlite":
        yield Settings(state_dir=seeded(state, START), step_timeout_s=2.0)
        return
    async with seeded_postgres(state, START) as url:
        yield Settings(state_dir=state, step_timeout_s=2.0, database_url=url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def slack(settings: Settings, clock: ManualClock) -> AsyncIterator[SlackHarness]:
    async with start_harness(settings, clock=clock) as harness:
        harness.standin.add_user(GRACE, "grace.liu@northwind.example", "Grace Liu")
        yield harness


async def acme_meeting(slack: SlackHarness) -> Meeting:
    calendars = CatalogCalendars(slack.services.catalog)
    found = await calendars.meetings_between(ACME_AT, ACME_AT + timedelta(minutes=1))
    return next(m for m in found if m.title.startswith("Acme"))


def dms_to(slack: SlackHarness, user: str) -> list[PostedMessage]:
    """Messages the bot posted in its DM with ``user``."""
    return slack.standin.messages("D" + user.lstrip("U"))


def briefings_of(messages: list[PostedMessage], title: str) -> list[PostedMessage]:
    return [m for m in messages if title in block_texts(m.blocks) and "Briefing" in m.text]


async def settle(slack: SlackHarness, clock: ManualClock, to: datetime) -> None:
    """Move the clock to ``to``, let the scheduler act, and wait for the runs it started."""
    clock.set(to)
    await slack.scheduler.sync()
    for fire in await slack.services.schedules.latest_fires(limit=100):
        if fire.outcome == "started":
            await slack.finished(fire.run_id, timeout=30.0)


async def test_the_briefing_arrives_once_lead_before_the_meeting(
    slack: SlackHarness, clock: ManualClock
) -> None:
    meeting = await acme_meeting(slack)
    await settle(slack, clock, ACME_AT - timedelta(minutes=31))
    assert briefings_of(dms_to(slack, DANA), "QBR") == []
    await settle(slack, clock, ACME_AT - timedelta(minutes=30))
    sent = briefings_of(dms_to(slack, DANA), "QBR")
    assert len(sent) == 1
    shown = block_texts(sent[0].blocks)
    assert "Briefing: Acme Corporation" in shown and "Dana Reyes" in shown and "Grace Liu" in shown
    assert sent[0].thread_ts is None  # a DM of its own, no progress message before it
    # Grace attends from our side too: her own DM.
    assert len(briefings_of(dms_to(slack, GRACE), "QBR")) == 1
    for later in (1, 5, 29):
        await settle(slack, clock, ACME_AT - timedelta(minutes=30 - later))
    assert len(briefings_of(dms_to(slack, DANA), "QBR")) == 1
    run_id = sent[0].metadata["event_payload"]["run_id"]  # type: ignore[index]
    assert run_id.startswith(f"brief-{meeting.id}-")
    detail = await slack.finished(run_id)
    assert detail.run.trigger == "schedule" and detail.run.status == "completed"
    assert any(e.kind == "schedule_fire" for e in detail.events)


async def test_a_moved_meeting_is_briefed_at_its_new_time_and_a_cancelled_one_never(
    slack: SlackHarness, clock: ManualClock
) -> None:
    meeting = await acme_meeting(slack)
    await move_meeting(slack.services.world, meeting.id, timedelta(hours=1))
    await settle(slack, clock, ACME_AT - timedelta(minutes=30))
    assert briefings_of(dms_to(slack, DANA), "QBR") == []
    await settle(slack, clock, ACME_AT + timedelta(minutes=30))
    assert len(briefings_of(dms_to(slack, DANA), "QBR")) == 1
    # Moved again after it went out: nothing changed but the time, so not again.
    await move_meeting(slack.services.world, meeting.id, timedelta(minutes=15))
    await settle(slack, clock, ACME_AT + timedelta(minutes=45))
    assert len(briefings_of(dms_to(slack, DANA), "QBR")) == 1
    # The next instance (19:00) is cancelled: no briefing for it.
    upcoming = await CatalogCalendars(slack.services.catalog).meetings_between(
        ACME_AT + timedelta(hours=4), ACME_AT + timedelta(hours=4, minutes=1)
    )
    nxt = next(m for m in upcoming if m.title.startswith("Acme"))
    await cancel_meeting(slack.services.world, nxt.id)
    await settle(slack, clock, nxt.starts_at - timedelta(minutes=30))
    await settle(slack, clock, nxt.starts_at - timedelta(minutes=1))
    assert len(briefings_of(dms_to(slack, DANA), "QBR")) == 1


async def test_a_lead_longer_than_the_wait_sends_at_once_and_a_meeting_under_way_is_skipped(
    slack: SlackHarness, clock: ManualClock
) -> None:
    await slack.services.schedules.set_prefs(DANA_EMAIL, lead=timedelta(hours=2))
    await settle(slack, clock, START)  # the QBR is an hour away, its briefing was due at 13:00
    assert len(briefings_of(dms_to(slack, DANA), "QBR")) == 1
    # The weekly sync started at 13:30, while the bot was not yet running: skipped, audited.
    runs = await slack.services.audit.list_runs(limit=50)
    skipped = [r for r in runs if r.status == "skipped"]
    assert skipped, runs
    detail = await slack.services.audit.get_run(skipped[0].run_id)
    assert detail is not None
    reasons = [e.detail.get("reason") for e in detail.events if e.kind == "briefing_skipped"]
    assert reasons and "already started" in str(reasons[0])
    shown = await _audit_show(slack, skipped[0].run_id)
    assert "fired  briefing for dana.reyes@northwind.example before" in shown
    assert "skipped: the meeting had already started" in shown
    assert not briefings_of(dms_to(slack, DANA), "Weekly sync")


async def test_briefings_off_sends_none(slack: SlackHarness, clock: ManualClock) -> None:
    await slack.services.schedules.set_prefs(DANA_EMAIL, enabled=False)
    await settle(slack, clock, ACME_AT - timedelta(minutes=30))
    assert briefings_of(dms_to(slack, DANA), "QBR") == []
    assert len(briefings_of(dms_to(slack, GRACE), "QBR")) == 1


async def test_a_restart_between_due_and_sent_loses_and_doubles_nothing(
    settings: Settings, clock: ManualClock
) -> None:
    async with start_harness(settings, clock=clock) as first:
        meeting = await acme_meeting(first)
        await settle(first, clock, ACME_AT - timedelta(minutes=45))
    clock.set(ACME_AT - timedelta(minutes=20))  # due at 14:30 while the bot was down
    async with start_harness(settings, clock=clock) as second:
        await settle(second, clock, clock.now())
        assert len(briefings_of(dms_to(second, DANA), "QBR")) == 1
    async with start_harness(settings, clock=clock) as third:
        await settle(third, clock, clock.now() + timedelta(minutes=1))
        assert briefings_of(dms_to(third, DANA), "QBR") == []  # a fresh stand-in: none again
        run_ids = {r.run_id for r in await third.services.audit.list_runs(limit=100)}
    dana_runs = [r for r in run_ids if r.startswith(f"brief-{meeting.id}-")]
    assert len(dana_runs) == 1  # Grace is not in this workspace's Slack: only Dana's ran


async def test_a_cron_schedule_posts_in_its_channel_at_each_tick_until_removed(
    slack: SlackHarness, clock: ManualClock
) -> None:
    store = slack.services.schedules
    owner = Principal(email=DANA_EMAIL, name="Dana Reyes", slack_user_id=DANA)
    when = parse_when("every 5 minutes", "America/New_York")
    schedule = await store.add(when, "brief me on Acme", owner, channel=CHANNEL, source="slack")
    await settle(slack, clock, START + timedelta(minutes=4))
    assert _channel_briefings(slack) == []
    await settle(slack, clock, START + timedelta(minutes=5))
    await settle(slack, clock, START + timedelta(minutes=6))
    await settle(slack, clock, START + timedelta(minutes=10))
    assert len(_channel_briefings(slack)) == 2
    # Down for half an hour: the missed ticks make one run, for the latest of them.
    await settle(slack, clock, START + timedelta(minutes=41))
    assert len(_channel_briefings(slack)) == 3
    fires = await store.fires(schedule.id)
    assert fires[0].run_id == schedule_run_id(schedule.id, START.replace(minute=40))
    assert fires[0].lateness_ms == 60_000
    assert {f.outcome for f in fires} == {"completed"}
    listed = await store.get(schedule.id)
    assert listed is not None and listed.last_outcome == "completed"
    await store.remove(schedule.id)
    await settle(slack, clock, START + timedelta(minutes=45))
    assert len(_channel_briefings(slack)) == 3


async def test_a_schedule_whose_runs_keep_failing_is_paused_and_its_owner_told(
    slack: SlackHarness, clock: ManualClock
) -> None:
    store = slack.services.schedules
    slack.standin.add_channel("C0GONE", member=False)  # every delivery there fails
    owner = Principal(email=DANA_EMAIL, name="Dana Reyes", slack_user_id=DANA)
    when = parse_when("every 5 minutes", "UTC")
    schedule = await store.add(when, "brief me on Acme", owner, channel="C0GONE", source="slack")
    for minutes in (5, 10, 15, 20):
        await settle(slack, clock, START + timedelta(minutes=minutes))
    paused = await store.get(schedule.id)
    assert paused is not None and paused.paused_reason == "its last 3 runs failed"
    assert len(await store.fires(schedule.id)) == 3
    told = [m.text for m in dms_to(slack, DANA)]
    assert any(f"paused your schedule `{schedule.id}`" in t for t in told)


async def _audit_show(slack: SlackHarness, run_id: str) -> str:
    """``crosswire audit show RUN_ID`` as it prints (not through capsys: DBOS keeps the
    stream it found at launch, and capsys closes its own after the test)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert await audit_show(slack.services.settings, run_id, as_json=False) == 0
    return printed.getvalue()


def _channel_briefings(slack: SlackHarness) -> list[PostedMessage]:
    return [m for m in slack.standin.messages(CHANNEL) if m.text.startswith("Briefing on Acme")]


def test_briefing_run_ids_ignore_the_time_but_not_the_attendees() -> None:
    one = briefing_run_id("evt-1", "Dana@x.example", "abcd")
    assert one == briefing_run_id("evt-1", "dana@x.example", "abcd")
    assert one != briefing_run_id("evt-1", "dana@x.example", "abce")

"""Today's customer meetings, end to end: typed words, the offline planner, the real engine
(DBOS, SQLite audit) and the demo world at a set clock.

At 12:00 UTC on 1 Dec, Dana Reyes's rolling story meetings still to come today are the
Acme QBR (15:00, 19:00, 23:00, Grace Liu attends too), the Quantum Freight sync (13:30,
17:30, 21:30) and an internal pipeline review (12:30, 16:30, 20:30) that is no customer
meeting. Nobody else has a meeting today; Rachel Kim manages Dana and Grace; Ben Carter
(marketing) has none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.postgres_server import POSTGRES_SERVER, postgres_database
from tests.workflows.digest_env import BEN, DANA, RACHEL, DigestEnv, digest_env
from workflows.answers import Digest, DigestMeeting, Notice
from workflows.library.digest import day_window
from workflows.models import TriggerKind

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACME_START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[DigestEnv]:
    async with digest_env(tmp_path, NOON) as env:
        yield env


def lines(meeting: DigestMeeting) -> dict[str, str]:
    return {line.key: line.text for line in meeting.lines}


async def digest_of(
    env: DigestEnv,
    text: str,
    email: str = DANA,
    *,
    tz: str | None = None,
    trigger: TriggerKind = "cli",
    channel: str = "",
) -> Digest:
    answer = await env.ask(text, email, tz=tz, trigger=trigger, channel=channel)
    assert isinstance(answer, Digest), answer
    return answer


@pytest.mark.parametrize(
    "text", ["today's customer meetings", "customer meetings today", "my meetings today"]
)
async def test_my_customer_meetings_today_three_lines_each(env: DigestEnv, text: str) -> None:
    digest = await digest_of(env, text)

    assert (digest.scope, digest.whose, str(digest.day), digest.tz) == (
        "me",
        "Dana Reyes",
        "2026-12-01",
        "UTC",
    )
    starts = [m.starts_at.strftime("%H:%M") for m in digest.meetings]
    assert starts == ["13:30", "15:00", "17:30", "19:00", "21:30", "23:00"]
    assert not any("Pipeline review" in m.title for m in digest.meetings)
    acme = next(m for m in digest.meetings if m.starts_at == ACME_START)
    assert acme.account is not None and acme.account.name == "Acme Corporation"
    assert acme.ours == ("Dana Reyes", "Grace Liu")
    assert all(g.endswith("@acme.io") for g in acme.theirs)
    said = lines(acme)
    assert said["deal"].startswith("Negotiation · $")
    assert "Acme — Annual renewal" in said["deal"]
    assert said["concern"].startswith("P1 ticket") and "before renewal" in said["concern"]
    assert said["owner"] == "Dana Reyes, attending with Grace Liu"
    assert [line.key for m in digest.meetings for line in m.lines] == [
        "deal",
        "concern",
        "owner",
    ] * len(digest.meetings)
    assert all(line.status != "unavailable" for m in digest.meetings for line in m.lines)


async def test_a_customer_met_twice_is_read_once_for_both(env: DigestEnv) -> None:
    digest = await digest_of(env, "my meetings today")

    by_customer: dict[str, list[DigestMeeting]] = {}
    for meeting in digest.meetings:
        assert meeting.account is not None
        by_customer.setdefault(meeting.account.name, []).append(meeting)
    assert sorted(by_customer) == ["Acme Corporation", "Quantum Freight Inc."]
    for meetings in by_customer.values():
        assert len(meetings) == 3
        assert len({m.lines for m in meetings}) == 1


async def test_the_team_s_meetings_for_a_manager(env: DigestEnv) -> None:
    team = await digest_of(env, "the team's customer meetings today", RACHEL)
    mine = await digest_of(env, "my meetings today", RACHEL)

    assert (team.scope, team.whose) == ("team", "Rachel Kim's team")
    assert len(team.meetings) == 6
    assert {m.ours[0] for m in team.meetings} == {"Dana Reyes"}
    assert (mine.scope, mine.meetings) == ("me", ())


async def test_a_schedule_posting_in_a_channel_means_the_team(env: DigestEnv) -> None:
    channel = await digest_of(
        env, "today's customer meetings", RACHEL, trigger="schedule", channel="C0SALES"
    )
    dm = await digest_of(
        env, "today's customer meetings", RACHEL, trigger="schedule", channel="D0RACHEL"
    )

    assert (channel.scope, len(channel.meetings)) == ("team", 6)
    assert (dm.scope, dm.meetings) == ("me", ())


async def test_no_customer_meetings_is_a_digest_that_says_so(env: DigestEnv) -> None:
    digest = await digest_of(env, "today's customer meetings", BEN)

    assert (digest.whose, digest.meetings) == ("Ben Carter", ())


async def test_the_day_is_the_asker_s_day(env: DigestEnv) -> None:
    # 12:00 UTC is 07:00 in New York, whose day ends at 05:00 UTC tomorrow: the Quantum
    # Freight sync at 01:30 and the Acme QBR at 03:00 UTC tomorrow are still today there.
    digest = await digest_of(env, "my meetings today", tz="America/New_York")

    assert digest.tz == "America/New_York"
    assert digest.meetings[-1].starts_at == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert len(digest.meetings) == 8


async def test_a_meeting_under_way_still_shows_one_long_past_does_not(env: DigestEnv) -> None:
    env.clock.set(datetime(2026, 12, 1, 15, 20, tzinfo=UTC))
    digest = await digest_of(env, "my meetings today")

    assert digest.meetings[0].starts_at == ACME_START
    env.clock.set(datetime(2026, 12, 1, 23, 45, tzinfo=UTC))
    late = await digest_of(env, "my meetings today")
    assert late.meetings == ()


def test_the_window_runs_to_the_asker_s_midnight() -> None:
    # 23:10 UTC is 00:10 on 1 Dec in Berlin: the day began ten minutes ago.
    start, end = day_window(datetime(2026, 11, 30, 23, 10, tzinfo=UTC), "Europe/Berlin")

    assert start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # Berlin's midnight
    assert end == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    unknown = day_window(NOON, "No/Such_Zone")  # counted in UTC
    assert unknown == (NOON - timedelta(minutes=30), NOON + timedelta(hours=12))


async def test_a_named_customer_is_still_a_briefing(env: DigestEnv) -> None:
    answer = await env.ask("brief me on Acme before my meetings today")

    assert answer.kind == "briefing"


async def test_cancelling_meetings_is_not_a_digest(env: DigestEnv) -> None:
    answer = await env.ask("cancel my meetings today")

    assert isinstance(answer, Notice) and answer.reason == "unsupported"


@pytest.fixture
async def crm_down(tmp_path: Path) -> AsyncIterator[DigestEnv]:
    async with digest_env(tmp_path, NOON, faults="crm=error,billing=error") as env:
        yield env


async def test_a_system_down_costs_its_line_named(crm_down: DigestEnv) -> None:
    digest = await digest_of(crm_down, "my meetings today")

    assert len(digest.meetings) == 6
    for meeting in digest.meetings:
        deal, concern, owner = meeting.lines
        assert deal.status == "unavailable"
        assert deal.text == "Stage and amount missing: CRM could not be reached"
        assert concern.status != "unavailable" and set(concern.missing) == {"CRM", "Billing"}
        assert owner.text.startswith("Dana Reyes, attending")  # the directory knows owners
    acme = next(m for m in digest.meetings if m.starts_at == ACME_START)
    assert acme.lines[1].text.startswith("P1 ticket")
    assert digest.unavailable == ["CRM", "Billing"]


@pytest.fixture
async def calendar_down(tmp_path: Path) -> AsyncIterator[DigestEnv]:
    async with digest_env(tmp_path, NOON, faults="calendar=error") as env:
        yield env


async def test_a_calendar_down_costs_the_digest_with_a_clear_answer(
    calendar_down: DigestEnv,
) -> None:
    answer = await calendar_down.ask("today's customer meetings")

    assert isinstance(answer, Notice)
    assert (answer.reason, answer.title) == ("failed", "I could not read today's meetings")
    assert answer.text.startswith("Calendar could not be reached")


@pytest.mark.postgres
async def test_the_team_s_digest_on_postgresql(tmp_path: Path) -> None:
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        async with digest_env(tmp_path, NOON, database_url=url) as env:
            digest = await digest_of(env, "the team's customer meetings today", RACHEL)
            detail = await env.audit.get_run(digest.run_id)

    assert (digest.whose, len(digest.meetings)) == ("Rachel Kim's team", 6)
    assert detail is not None and detail.run.workflow == "digest"
    assert detail.run.answer_kind == "digest"

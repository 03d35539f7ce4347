"""``/crosswire schedule …``, ``/crosswire briefings …`` and the Remove buttons through the real
Bolt app (signed requests), the real schedule store on SQLite and the Slack stand-in.

The listeners get a :class:`SlackSchedules` built as the composition root builds it; its
``changed`` is the scheduler's side of the wire, kept here in :class:`Changes` so a test can
see that each change was handed on, after the person had their answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.listeners.schedules import SlackSchedules, may_remove
from bot.people import SlackPeople
from bot.render.schedules import REMOVE, REMOVE_LISTED
from bot.sandbox import payloads
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import slack_bot
from bot.slack_client import web_client
from tests.harness import (
    CHANNEL,
    DANA,
    SECRET,
    STRANGER,
    TOKEN,
    SlackHarness,
    block_texts,
    start_harness,
)
from workflows.clock import ManualClock
from workflows.models import Principal
from workflows.schedules import Schedule, ScheduleStore, parse_when, schedule_run_id

RACHEL = "U0RACHEL"
MARCUS = "U0MARCUS"
DANA_EMAIL = "dana.reyes@northwind.example"
RACHEL_EMAIL = "rachel.kim@northwind.example"
DM = "D0DANA"
ELSEWHERE = "C0ELSEWHERE"
NEW_YORK = "America/New_York"
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday, 10:00 in New York
EXAMPLE = '/crosswire schedule add "every weekday at 8am" today\'s customer meetings'


@dataclass
class Changes:
    """Each ``changed()`` call, with how many answers had been sent by then."""

    standin: SlackWebApiStandIn
    seen: list[int] = field(default_factory=list)

    async def __call__(self) -> None:
        self.seen.append(len(self.standin.calls_to("response_url")))


@dataclass
class Env:
    slack: SlackHarness
    store: ScheduleStore
    changes: Changes
    clock: ManualClock

    @property
    def standin(self) -> SlackWebApiStandIn:
        return self.slack.standin

    async def type(self, text: str, *, user: str = DANA, channel: str = CHANNEL) -> None:
        """Type ``/crosswire TEXT``; return once the answer has come (it is acked empty)."""
        before = len(self.standin.calls_to("response_url"))
        response = await self.slack.send(self.slack.command(text, user=user, channel=channel))
        assert (response.status, response.body) == (200, "")
        await self.standin.wait_for(lambda s: len(s.calls_to("response_url")) > before)

    def last_answer(self) -> dict[str, Any]:
        """The body of the latest response URL call (an answer or an edit)."""
        return self.standin.calls_to("response_url")[-1].args

    async def click(
        self, action: str, schedule_id: str, *, user: str = DANA, channel: str = CHANNEL
    ) -> None:
        before = len(self.standin.calls_to("response_url"))
        click = payloads.block_action(
            action,
            schedule_id,
            user_id=user,
            channel_id=channel,
            message_ts="1764601200.000100",
            response_url=self.standin.response_url(channel, user),
            label="Remove",
        )
        assert (await self.slack.send(click)).status == 200
        await self.standin.wait_for(lambda s: len(s.calls_to("response_url")) > before)

    async def only(self) -> Schedule:
        [schedule] = await self.store.listed()
        return schedule


@asynccontextmanager
async def start_schedules(settings: Settings) -> AsyncIterator[Env]:
    clock = ManualClock(NOW)
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, DANA_EMAIL, "Dana Reyes", tz=NEW_YORK)
        standin.add_user(RACHEL, RACHEL_EMAIL, "Rachel Kim", tz="Europe/Berlin")
        standin.add_user(MARCUS, "marcus.chen@northwind.example", "Marcus Chen", tz="")
        standin.add_user(STRANGER, "someone@elsewhere.example", "Some One")
        client = web_client(TOKEN, standin.base_url)
        async with slack_bot(settings, client, signing_secret=SECRET, clock=clock) as bot:
            services, changes = bot.services, Changes(standin)
            schedules = SlackSchedules(
                store=services.schedules,
                people=SlackPeople(client, services.directory),
                clock=clock,
                changed=changes,
                default_lead=settings.briefing_lead,
            )
            app = build_app(
                client=client,
                signing_secret=SECRET,
                intake=bot.inbox.intake,
                inbox=bot.inbox,
                schedules=schedules,
            )
            slack = SlackHarness(
                app=app, standin=standin, services=services, scheduler=bot.scheduler
            )
            yield Env(slack, services.schedules, changes, clock)


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[Env]:
    async with start_schedules(settings) as started:
        yield started


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(action id, value) of every button, in actions blocks and section accessories."""
    found = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    found += [b["accessory"] for b in blocks if b.get("accessory")]
    return [(e["action_id"], e["value"]) for e in found if e["type"] == "button"]


# ---------------------------------------------------------------- add


async def test_add_in_a_channel_confirms_there_with_a_remove_button(env: Env) -> None:
    await env.type('schedule add "every weekday at 8am" today\'s customer meetings')

    schedule = await env.only()
    assert (schedule.objective, schedule.channel, schedule.source) == (
        "today's customer meetings",
        CHANNEL,
        "slack",
    )
    assert (schedule.when.cron, schedule.when.tz) == ("0 8 * * mon-fri", NEW_YORK)
    assert (schedule.owner.email, schedule.owner.slack_user_id, schedule.owner.tz) == (
        DANA_EMAIL,
        DANA,
        NEW_YORK,
    )
    answer = env.last_answer()
    assert answer["response_type"] == "in_channel"
    assert answer["text"] == (
        f"Scheduled `{schedule.id}`: today's customer meetings. Every Monday to Friday at "
        "08:00 America/New_York, next on Wed 2 Dec"
    )
    assert buttons(answer["blocks"]) == [(REMOVE, schedule.id)]
    [shown] = env.standin.messages(CHANNEL)  # as the app, for the channel to see
    assert "Added by Dana Reyes" in block_texts(shown.blocks)
    await env.standin.wait_for(lambda _: env.changes.seen == [1])
    assert await env.slack.services.audit.list_runs() == []  # a command, not an ask


async def test_add_without_quotes_takes_the_opening_words_that_say_a_time(env: Env) -> None:
    await env.type("schedule add every day at 17:00 brief me on Lumen &amp; Oak", user=RACHEL)

    schedule = await env.only()
    assert (schedule.when.text, schedule.when.tz) == ("every day at 17:00", "Europe/Berlin")
    assert schedule.objective == "brief me on Lumen & Oak"
    assert env.last_answer()["text"].endswith(
        "brief me on Lumen & Oak. Every day at 17:00 Europe/Berlin, next at 17:00"
    )


async def test_someone_slack_gives_no_time_zone_schedules_in_utc(env: Env) -> None:
    await env.type('schedule add "every day at 9:00" brief me on Acme', user=MARCUS)

    schedule = await env.only()
    assert (schedule.owner.tz, schedule.when.tz) == (None, "UTC")
    assert env.last_answer()["text"].endswith("Every day at 09:00 UTC, next on Wed 2 Dec")


async def test_add_in_a_dm_delivers_to_the_owner_and_answers_them_alone(env: Env) -> None:
    await env.type('schedule add "every 5 minutes" brief me on Acme', channel=DM)

    schedule = await env.only()
    assert schedule.channel is None and schedule.when.cron == "*/5 * * * *"
    assert env.last_answer()["response_type"] == "ephemeral"
    assert env.standin.messages() == []
    [told] = env.slack.only_for(DANA)
    assert "Sent to Dana Reyes in a DM." in block_texts(told["blocks"])


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            'schedule add "every blue moon" brief me on Acme',
            "I can't tell when 'every blue moon' is. Try \"every weekday at 8am\"",
        ),
        (
            "schedule add whenever you like brief me",
            "I can't tell when that should run. Put the time in double quotes, as in",
        ),
        ('schedule add "every weekday at 8am"', "Say what it should do after the time, e.g."),
        ('schedule add "every weekday at 8am brief me', "The time needs a closing quote"),
        ("schedule add", "Say when and what, e.g."),
        ("schedule frobnicate", "I don't know `schedule frobnicate`."),
        ("schedule add every minute " + "x" * 4001, "An objective is at most 4,000 characters"),
    ],
)
async def test_what_cannot_be_scheduled_is_answered_to_the_typer_alone(
    env: Env, text: str, said: str
) -> None:
    await env.type(text)

    answer = env.last_answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(said)
    assert await env.store.listed() == [] and env.standin.messages() == []
    await asyncio.sleep(0.05)
    assert env.changes.seen == []


async def test_schedule_help_says_what_the_commands_look_like(env: Env) -> None:
    await env.type("schedule help")
    answer = env.last_answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(f"`{EXAMPLE}` runs an objective on a timetable, here")
    assert "`/crosswire schedule remove sch-3f9a1c` removes one." in answer["text"]


async def test_a_bad_phrase_lists_the_phrases_it_understands(env: Env) -> None:
    await env.type('schedule add "fortnightly-ish" brief me on Acme')
    text = env.last_answer()["text"]
    for example in ("every Monday at 9:30", "every hour", "every 5 minutes", "0 8 * * 1-5"):
        assert example in text


async def test_someone_outside_the_directory_is_told_why(env: Env) -> None:
    await env.type('schedule add "every hour" brief me on Acme', user=STRANGER)
    [told] = env.slack.only_for(STRANGER)
    assert told["text"].startswith("I can't set up schedules for you: your Slack email")
    assert await env.store.listed() == []


# ---------------------------------------------------------------- list


async def add(env: Env, email: str, name: str, channel: str | None, text: str) -> Schedule:
    owner = Principal(email=email, name=name, tz=NEW_YORK)
    when = parse_when("every weekday at 8am", NEW_YORK)
    return await env.store.add(when, text, owner, channel=channel, source="cli")


async def test_list_shows_mine_and_this_channels_with_next_and_last_runs(env: Env) -> None:
    mine = await add(env, DANA_EMAIL, "Dana Reyes", None, "brief me on Acme")
    channels = await add(env, RACHEL_EMAIL, "Rachel Kim", CHANNEL, "today's customer meetings")
    await add(env, RACHEL_EMAIL, "Rachel Kim", ELSEWHERE, "not for Dana")
    fired = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert await env.store.claim(channels, fire_at=fired, run_id="r-1", next_fire_at=None)
    assert await env.store.pause(mine.id, "5 runs in a row failed")

    await env.type("schedule list")

    answer = env.last_answer()
    assert answer["response_type"] == "ephemeral"
    text = block_texts(answer["blocks"])
    # Oldest first; added at the same moment (a manual clock), by id.
    shown = [(REMOVE_LISTED, s) for s in sorted((mine.id, channels.id))]
    assert buttons(answer["blocks"]) == shown
    assert "not for Dana" not in text
    assert "Every Monday to Friday at 08:00 America/New_York, next on Wed 2 Dec" in text
    assert "Paused: 5 runs in a row failed" in text
    assert "Dana Reyes's; sent to Dana Reyes in a DM. Not run yet." in text
    assert f"Rachel Kim's; posts in <#{CHANNEL}>. Last run <!date^{int(fired.timestamp())}^" in text
    assert "Tue, Dec 1, 13:00 UTC>: started." in text


async def test_an_empty_list_says_how_to_add_one(env: Env) -> None:
    await env.type("schedule list", channel=DM)
    answer = env.last_answer()
    assert answer["text"] == "No schedules for you or this channel."
    assert "every weekday at 8am" in block_texts(answer["blocks"])


# ---------------------------------------------------------------- remove


async def test_remove_by_its_owner_and_refused_to_anyone_else(env: Env) -> None:
    schedule = await add(env, DANA_EMAIL, "Dana Reyes", CHANNEL, "today's customer meetings")

    await env.type(f"schedule remove {schedule.id}", user=MARCUS)
    refused = env.last_answer()
    assert refused["response_type"] == "ephemeral"
    assert refused["text"] == (
        f"Only Dana Reyes, who added schedule {schedule.id}, or an admin can remove it."
    )
    assert await env.store.get(schedule.id) is not None

    await env.type(f"schedule remove {schedule.id}")
    removed = env.last_answer()
    assert removed["response_type"] == "in_channel"  # a channel's schedule: the channel hears
    assert removed["text"].startswith(f"Removed by Dana Reyes: `{schedule.id}`")
    assert await env.store.get(schedule.id) is None
    await env.standin.wait_for(lambda _: env.changes.seen == [2])

    await env.type(f"schedule remove {schedule.id}")
    assert env.last_answer()["text"] == (
        f"There is no schedule `{schedule.id}`. `/crosswire schedule list` shows yours and "
        "this channel's."
    )


async def test_the_remove_button_edits_its_message_once(env: Env) -> None:
    await env.type('schedule add "every hour" brief me on Acme')
    schedule = await env.only()

    await env.click(REMOVE, schedule.id, user=MARCUS)
    [refused] = env.slack.only_for(MARCUS)
    assert refused["text"].startswith("Only Dana Reyes, who added schedule")
    assert await env.store.get(schedule.id) is not None

    await env.click(REMOVE, schedule.id)
    edit = env.last_answer()
    assert edit["replace_original"] is True
    assert edit["text"].startswith(f"Removed by Dana Reyes: `{schedule.id}`, brief me on Acme")
    assert buttons(edit["blocks"]) == []
    assert await env.store.get(schedule.id) is None
    await env.standin.wait_for(lambda _: len(env.changes.seen) == 2)

    await env.click(REMOVE, schedule.id)
    again = env.last_answer()
    assert again["replace_original"] is False
    assert again["text"] == f"Schedule {schedule.id} is already removed."
    assert len(env.changes.seen) == 2


async def test_the_remove_button_in_a_list_shows_the_list_without_it(env: Env) -> None:
    first = await add(env, DANA_EMAIL, "Dana Reyes", CHANNEL, "today's customer meetings")
    second = await add(env, DANA_EMAIL, "Dana Reyes", None, "brief me on Acme")

    await env.click(REMOVE_LISTED, first.id)

    edit = env.last_answer()
    assert edit["replace_original"] is True
    assert buttons(edit["blocks"]) == [(REMOVE_LISTED, second.id)]
    assert f"Removed today's customer meetings (`{first.id}`)." in block_texts(edit["blocks"])


def test_an_admin_may_remove_anyones_schedule() -> None:
    owner = Principal(email=DANA_EMAIL, name="Dana Reyes")
    schedule = Schedule(
        id="sch-1",
        when=parse_when("every hour", "UTC"),
        objective="x",
        owner=owner,
        channel=None,
        source="slack",
        created_at=NOW,
        next_fire_at=None,
    )
    assert may_remove(Principal(email="DANA.REYES@northwind.example", name="D"), schedule)
    assert may_remove(
        Principal(email="it@northwind.example", name="IT", roles=("admin",)), schedule
    )
    assert not may_remove(
        Principal(email=RACHEL_EMAIL, name="Rachel Kim", roles=("sales", "manager")), schedule
    )


# ---------------------------------------------------------------- briefings


async def test_briefings_show_turn_off_on_and_take_a_lead(env: Env) -> None:
    await env.type("briefings")
    assert env.last_answer()["text"].startswith(
        "Pre-meeting briefings on, 30 minutes before each customer meeting (the default, `30m`)."
    )

    await env.type("briefings off")
    assert env.last_answer()["text"] == (
        "Pre-meeting briefings off: none will come to you (when on, 30 minutes before each "
        "customer meeting)."
    )
    assert not (await env.store.prefs(DANA_EMAIL)).enabled

    await env.type("briefings lead 45m")
    await env.type("briefings on")
    answer = env.last_answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Pre-meeting briefings on, 45 minutes before each customer meeting."
    prefs = await env.store.prefs(DANA_EMAIL)
    assert (prefs.enabled, prefs.lead) == (True, timedelta(minutes=45))
    await env.standin.wait_for(lambda _: env.changes.seen == [2, 3, 4])

    await env.type("briefing lead 1h30m")
    assert env.last_answer()["text"] == (
        "Pre-meeting briefings on, 1 hour 30 minutes before each customer meeting."
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("briefings lead 2m", "A briefing's lead is between 5 minutes and 24 hours, not 2 minutes"),
        ("briefings lead 25h", "A briefing's lead is between 5 minutes and 24 hours, not 25 hours"),
        ("briefings lead soon", "'soon' is not a duration: use a number and a unit"),
        ("briefings lead", "Say how long before each meeting, e.g. 45m."),
        ("briefings maybe", "I don't know `briefings maybe`."),
    ],
)
async def test_a_lead_that_cannot_work_changes_nothing(env: Env, text: str, said: str) -> None:
    await env.type(text)
    answer = env.last_answer()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(said)
    assert "`/crosswire briefings lead 45m`" in answer["text"]
    assert (await env.store.prefs(DANA_EMAIL)).lead is None
    await asyncio.sleep(0.05)
    assert env.changes.seen == []


# ---------------------------------------------------------------- through the composition root


async def test_a_schedule_added_in_slack_posts_at_each_tick_until_removed(tmp_path: Path) -> None:
    """The wiring's own SlackSchedules and scheduler: added, it fires at its tick in its
    channel; removed, its next tick starts nothing."""
    clock = ManualClock(NOW)
    settings = Settings(state_dir=tmp_path / "state", step_timeout_s=2.0, scheduler=True)
    async with start_harness(settings, clock=clock) as slack:
        await slack.standin.wait_for(lambda _: slack.scheduler.leading, 10.0)
        await slack.send(slack.command('schedule add "every 5 minutes" brief me on Acme'))
        await slack.standin.wait_for(lambda s: len(s.messages(CHANNEL)) == 1)
        [schedule] = await slack.services.schedules.listed()
        assert schedule.next_fire_at == NOW + timedelta(minutes=5)

        clock.set(NOW + timedelta(minutes=5))
        await slack.scheduler.sync()
        detail = await slack.finished(schedule_run_id(schedule.id, clock.now()), timeout=20.0)
        assert detail.run.status == "completed"
        await slack.standin.wait_for(
            lambda s: "Acme Corporation" in block_texts([m.blocks for m in s.messages(CHANNEL)])
        )

        await slack.send(slack.command(f"schedule remove {schedule.id}"))
        await slack.standin.wait_for(
            lambda s: any(m.text.startswith("Removed by") for m in s.messages(CHANNEL))
        )
        clock.set(NOW + timedelta(minutes=10))
        await slack.scheduler.sync()
        assert await slack.services.audit.get_run(schedule_run_id(schedule.id, clock.now())) is None

"""``/crosswire schedule add|list|remove``, ``/crosswire briefings [on|off|lead 45m]`` and the
Remove buttons.

:mod:`bot.listeners.commands` acks the command and hands it here (no run starts). A schedule
is read in the typer's time zone (their Slack ``tz``) and delivers to the channel it was
typed in, or, typed in a DM, to its owner's DM. A confirmation that concerns a channel is
shown in it; everything else, errors above all, to the typer alone. Who may remove a
schedule is decided here at the moment of the click or command: its owner, or an admin. Any
change is then handed to the running scheduler (``changed``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import MAX_ASK_CHARS
from bot.listeners.actions import tell_clicker
from bot.listeners.schedule_words import (
    BRIEFING_WORDS,
    BRIEFINGS_USAGE,
    USAGE,
    Unclear,
    lead_words,
    parse_lead,
    split_when,
    words,
)
from bot.people import RequesterUnavailable, SlackPeople, UnknownRequester
from bot.render import kit
from bot.render import schedules as render
from bot.render.blocks import Rendering
from bot.render.mrkdwn import plain
from workflows.clock import Clock
from workflows.durations import DurationError, format_duration
from workflows.models import Principal
from workflows.schedules import BadWhen, BriefingPrefs, Schedule, ScheduleStore

ADMIN_ROLE: Final = "admin"
DEFAULT_TZ: Final = "UTC"
NOT_HERE: Final = "Schedules are not set up in this workspace."


@dataclass(frozen=True)
class Refusal:
    """Why a schedule was not removed: it is ``gone`` (or never was), or ``not_yours``."""

    kind: Literal["gone", "not_yours"]
    text: str


@dataclass(frozen=True)
class Reply:
    """An answer: ``public`` ones show in the channel, the rest to the typer alone."""

    rendering: Rendering
    public: bool = False
    changed: bool = False


@dataclass(frozen=True)
class SlackSchedules:
    """What the schedule listeners need, built by the composition root: the ``store``,
    ``people`` (Slack user to person, with their time zone), the ``clock``, ``changed``
    (tells the running scheduler to pick a change up) and ``default_lead``
    (``CROSSWIRE_BRIEFING_LEAD``)."""

    store: ScheduleStore
    people: SlackPeople
    clock: Clock
    changed: Callable[[], Awaitable[None]]
    default_lead: timedelta

    async def who(self, user_id: str) -> Principal | str:
        """The person behind a Slack user, or a polite sentence saying why not."""
        try:
            return await self.people.principal(user_id)
        except UnknownRequester as exc:
            return f"I can't set up schedules for you: {exc.reason}."
        except RequesterUnavailable:
            return "Slack could not tell me who you are just now; please try again in a moment."

    async def command(self, person: Principal, text: str, channel: str) -> Reply:
        """Answer ``/crosswire TEXT`` typed by ``person`` in ``channel``."""
        verb, _, rest = text.partition(" ")
        if verb.lower() in BRIEFING_WORDS:
            return await self.briefings(person, rest.strip())
        action, _, rest = rest.strip().partition(" ")
        try:
            match action.lower():
                case "add" | "new":
                    return await self.add(person, rest.strip(), channel)
                case "list" | "ls" | "":
                    return await self.listing(person, channel)
                case "remove" | "delete" | "rm":
                    return await self.remove_command(person, rest.strip())
                case "help" | "?":
                    return Reply(render.said(USAGE))
                case _:
                    raise Unclear(f"I don't know `schedule {action}`. {USAGE}")
        except (Unclear, BadWhen) as exc:
            return Reply(render.said(str(exc)))

    async def add(self, owner: Principal, text: str, channel: str) -> Reply:
        """A new schedule in the owner's time zone, delivered here (a DM: to the owner)."""
        if not text:
            raise Unclear(f"Say when and what, e.g. `{render.EXAMPLE}`.")
        when, objective = split_when(text, owner.tz or DEFAULT_TZ)
        objective = " ".join(objective.split())
        if not objective:
            raise Unclear(f"Say what it should do after the time, e.g. `{render.EXAMPLE}`.")
        if len(objective) > MAX_ASK_CHARS:
            raise Unclear(f"An objective is at most {MAX_ASK_CHARS:,} characters.")
        where = None if channel.startswith("D") else channel
        schedule = await self.store.add(when, objective, owner, channel=where, source="slack")
        now = self.clock.now()
        return Reply(render.added(schedule, now), public=where is not None, changed=True)

    async def listing(
        self, person: Principal, channel: str | None, *, note: str | None = None
    ) -> Reply:
        """The person's schedules and this channel's (a DM: theirs)."""
        here = None if channel is None or channel.startswith("D") else channel
        found = await self.store.listed(owner_email=person.email, channel=here)
        return Reply(render.schedule_list(found, self.clock.now(), note=note))

    async def remove(self, person: Principal, schedule_id: str) -> Schedule | Refusal:
        """Remove a schedule if ``person`` may (its owner, or an admin); else why not."""
        found = await self.store.get(schedule_id)
        if found is not None and not may_remove(person, found):
            return Refusal(
                "not_yours",
                f"Only {found.owner.name}, who added schedule {found.id}, or an admin can "
                "remove it.",
            )
        removed = None if found is None else await self.store.remove(schedule_id)
        return removed or Refusal("gone", f"Schedule {schedule_id} is already removed.")

    async def remove_command(self, person: Principal, schedule_id: str) -> Reply:
        if not schedule_id or " " in schedule_id:
            raise Unclear(
                "Say which one, e.g. `/crosswire schedule remove sch-3f9a1c` "
                "(`/crosswire schedule list` shows the ids)."
            )
        outcome = await self.remove(person, schedule_id)
        if isinstance(outcome, Refusal) and outcome.kind == "gone":
            raise Unclear(
                f"There is no schedule `{schedule_id}`. `/crosswire schedule list` shows "
                "yours and this channel's."
            )
        if isinstance(outcome, Refusal):
            return Reply(render.said(outcome.text))
        shown = render.removed(outcome, person.name)
        return Reply(shown, public=outcome.channel is not None, changed=True)

    async def briefings(self, person: Principal, text: str) -> Reply:
        """``briefings`` (show), ``on``, ``off``, ``lead 45m``: the person's own briefings."""
        verb, _, rest = text.lower().partition(" ")
        if verb == "":
            prefs = await self.store.prefs(person.email)
            return Reply(render.said(f"{self._state(prefs)} {BRIEFINGS_USAGE}"))
        if verb in ("on", "off"):
            prefs = await self.store.set_prefs(person.email, enabled=verb == "on")
        elif verb == "lead":
            try:
                lead = parse_lead(rest)
            except DurationError as exc:
                return Reply(render.said(f"{exc}. {BRIEFINGS_USAGE}"))
            prefs = await self.store.set_prefs(person.email, lead=lead)
        else:
            return Reply(render.said(f"I don't know `briefings {verb}`. {BRIEFINGS_USAGE}"))
        return Reply(render.said(self._state(prefs)), changed=True)

    def _state(self, prefs: BriefingPrefs) -> str:
        lead = prefs.lead or self.default_lead
        if not prefs.enabled:
            return (
                f"Pre-meeting briefings off: none will come to you (when on, "
                f"{lead_words(lead)} before each customer meeting)."
            )
        default = "" if prefs.lead else f" (the default, `{format_duration(self.default_lead)}`)"
        return (
            f"Pre-meeting briefings on, {lead_words(lead)} before each customer meeting{default}."
        )


def may_remove(person: Principal, schedule: Schedule) -> bool:
    """Its owner or an admin may remove a schedule."""
    return person.email.lower() == schedule.owner.email.lower() or ADMIN_ROLE in person.roles


# ---------------------------------------------------------------- listeners


async def on_schedule_command(
    command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    """``/crosswire schedule …`` or ``/crosswire briefings …``, already acked."""
    schedules = context.get("schedules")
    if not isinstance(schedules, SlackSchedules):
        await respond(text=NOT_HERE, response_type="ephemeral")
        return
    person = await schedules.who(str(command.get("user_id") or ""))
    if isinstance(person, str):
        await respond(text=person, response_type="ephemeral")
        return
    text, channel = words(str(command.get("text") or "")), str(command.get("channel_id") or "")
    reply = await schedules.command(person, text, channel)
    await _answer(respond, reply.rendering, public=reply.public)
    if reply.changed:
        await schedules.changed()


async def on_remove_click(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    """A Remove button: the message shows who removed it (a list: the list without it)."""
    await ack()
    schedules = context.get("schedules")
    if not isinstance(schedules, SlackSchedules):
        await tell_clicker(body, client, NOT_HERE)
        return
    person = await schedules.who(str((body.get("user") or {}).get("id") or ""))
    if isinstance(person, str):
        await tell_clicker(body, client, person)
        return
    action = (body.get("actions") or [{}])[0]
    outcome = await schedules.remove(person, str(action.get("value") or ""))
    if isinstance(outcome, Refusal):
        await tell_clicker(body, client, outcome.text)
        return
    if action.get("action_id") == render.REMOVE_LISTED:
        channel = (body.get("channel") or {}).get("id")
        note = f"Removed {plain(outcome.objective)} (`{outcome.id}`)."
        shown = (await schedules.listing(person, channel, note=note)).rendering
    else:
        shown = render.removed(outcome, person.name)
    await respond(
        text=shown.text, blocks=kit.fit(shown.blocks), replace_original=True, delete_original=False
    )
    await schedules.changed()


async def _answer(respond: AsyncRespond, shown: Rendering, *, public: bool) -> None:
    await respond(
        text=shown.text,
        blocks=kit.fit(shown.blocks),
        response_type="in_channel" if public else "ephemeral",
        replace_original=False,
    )


def register(app: AsyncApp) -> None:
    for action in render.ACTIONS:
        app.action(action)(on_remove_click)

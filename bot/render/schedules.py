"""Block Kit for schedules: the confirmation of ``/crosswire schedule add`` (with its Remove
button), the list of ``/crosswire schedule list`` (a Remove button on each), and what a
message becomes once its schedule is removed (no buttons, who removed it).

A Remove button carries the schedule id only; who may remove is decided on the server at
the click. Every value from a person goes through :mod:`bot.render.mrkdwn`, every block
through :mod:`bot.render.kit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from slack_sdk.models.blocks import Block, SectionBlock

from bot.render import kit, limits
from bot.render.blocks import Rendering
from bot.render.mrkdwn import code, date, plain, prose
from workflows.schedules import Schedule

REMOVE: Final = "schedule_remove"
"""The Remove button on a confirmation: the click turns the confirmation into "Removed by"."""
REMOVE_LISTED: Final = "schedule_remove_listed"
"""The Remove button in a list: the click shows the list again, without the schedule."""
ACTIONS: Final = (REMOVE, REMOVE_LISTED)

EXAMPLE: Final = '/crosswire schedule add "every weekday at 8am" today\'s customer meetings'


def confirmation_line(schedule: Schedule, now: datetime) -> str:
    """``Scheduled `sch-3f9a1c`: today's customer meetings. Every Monday to Friday at 08:00
    America/New_York, next on Wed 2 Dec`` (plain text; `` ` `` marks the id)."""
    return f"Scheduled `{schedule.id}`: {schedule.objective}. {schedule.when.describe(now)}"


def added(schedule: Schedule, now: datetime) -> Rendering:
    """The confirmation: what, when and the next run, where it delivers, a Remove button."""
    line = (
        f"Scheduled {code(schedule.id)}: {_objective(schedule)}. "
        f"{plain(schedule.when.describe(now))}"
    )
    blocks: list[Block] = [
        kit.section(line),
        kit.context(f"{_delivery(schedule)} Added by {plain(schedule.owner.name)}."),
        kit.actions([kit.button("Remove", REMOVE, schedule.id)]),
    ]
    return Rendering(kit.fallback(confirmation_line(schedule, now)), blocks)


def removed(schedule: Schedule, by: str) -> Rendering:
    """A confirmation once its schedule is gone: what it was, who removed it, no buttons."""
    text = f"Removed by {by}: `{schedule.id}`, {schedule.objective} ({schedule.when.text})"
    line = (
        f"Removed by {plain(by)}: {code(schedule.id)}, {_objective(schedule)} "
        f"({plain(schedule.when.text)})"
    )
    return Rendering(kit.fallback(text), [kit.section(line)])


def schedule_list(
    schedules: Sequence[Schedule], now: datetime, *, note: str | None = None
) -> Rendering:
    """Each schedule with its next and last run and a Remove button; ``note`` (mrkdwn) on top,
    e.g. what a click just removed. None: a friendly line with an example."""
    blocks: list[Block] = [kit.context(note)] if note else []
    if not schedules:
        blocks.append(kit.section(prose(f"No schedules for you or this channel. Try `{EXAMPLE}`")))
        return Rendering(kit.fallback("No schedules for you or this channel."), blocks)
    blocks.append(kit.header("Schedules"))
    blocks += [_entry(schedule, now) for schedule in schedules]
    count = "1 schedule" if len(schedules) == 1 else f"{len(schedules)} schedules"
    return Rendering(kit.fallback(f"{count}: yours and this channel's."), blocks)


def _entry(schedule: Schedule, now: datetime) -> SectionBlock:
    lines = [
        f"{code(schedule.id)} {_objective(schedule)}",
        plain(schedule.when.describe(now)),
        f"{plain(schedule.owner.name)}'s; {_where(schedule)}. {last_run(schedule)}",
    ]
    if schedule.paused_reason:
        lines.append(f":warning: Paused: {plain(schedule.paused_reason)}")
    return SectionBlock(
        text=kit.mrkdwn("\n".join(lines)),
        accessory=kit.button("Remove", REMOVE_LISTED, schedule.id),
    )


def last_run(schedule: Schedule) -> str:
    """``Last run Tue, Dec 1, 13:00 UTC: completed.``; ``Not run yet.``"""
    if schedule.last_fire_at is None:
        return "Not run yet."
    return f"Last run {date(schedule.last_fire_at)}: {schedule.last_outcome or 'started'}."


def _where(schedule: Schedule) -> str:
    if schedule.channel:
        return f"posts in <#{schedule.channel}>"
    return f"sent to {plain(schedule.owner.name)} in a DM"


def _delivery(schedule: Schedule) -> str:
    where = _where(schedule)
    return f"{where[0].upper()}{where[1:]}."


def _objective(schedule: Schedule) -> str:
    return plain(limits.cut(schedule.objective, limits.INLINE_VALUE * 3))


def said(text: str) -> Rendering:
    """A plain answer (``text`` marks commands and ids with `` ` ``), as one section."""
    return Rendering(kit.fallback(text), [kit.section(prose(text))])

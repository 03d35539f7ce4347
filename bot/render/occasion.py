"""The header of a briefing made for a meeting: what, when (in the recipient's time zone),
and who attends from each side."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.render.mrkdwn import bold, plain
from workflows.models import Occasion

TIME_FORMAT = "{date_short_pretty} at {time}"


def local_time(at: datetime, tz: str) -> str:
    """``at`` in ``tz`` as people read it: ``Tue 1 Dec 14:00 EST`` (UTC if ``tz`` is unknown)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"


def occasion_mrkdwn(occasion: Occasion) -> str:
    """The header line in Slack: the time is Slack-formatted, so each reader sees it in their
    own time zone, with the recipient's as the fallback."""
    stamp = int(occasion.starts_at.timestamp())
    when = f"<!date^{stamp}^{TIME_FORMAT}|{local_time(occasion.starts_at, occasion.tz)}>"
    return f":calendar: {bold(occasion.title)} · {when}\n{_sides(occasion, plain)}"


def occasion_text(occasion: Occasion) -> str:
    """The header line in a terminal."""
    when = local_time(occasion.starts_at, occasion.tz)
    return f"Meeting: {occasion.title}, {when}\n{_sides(occasion, str)}"


def _sides(occasion: Occasion, show: Callable[[str], str]) -> str:
    ours = ", ".join(show(n) for n in occasion.ours) or "nobody"
    theirs = ", ".join(show(n) for n in occasion.theirs) or "nobody"
    return f"Attending: ours {ours}; theirs {theirs}"

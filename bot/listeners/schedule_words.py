"""The words of ``/crosswire schedule …`` and ``/crosswire briefings …``: which commands are
for schedules, the time and objective of ``schedule add`` (quoted, or the opening words that
say a time), a briefing's lead, and the usage lines that answer a command saying too little.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from bot.render.schedules import EXAMPLE
from workflows.durations import DurationError, parse_duration
from workflows.schedules import EXAMPLES, BadWhen, When, parse_when

SCHEDULE_WORDS: Final = frozenset({"schedule", "schedules"})
BRIEFING_WORDS: Final = frozenset({"briefings", "briefing"})
MIN_LEAD, MAX_LEAD = timedelta(minutes=5), timedelta(hours=24)
MAX_WHEN_WORDS: Final = 10
USAGE: Final = (
    f"`{EXAMPLE}` runs an objective on a timetable, here (typed in a DM: in your DM "
    "with me); `/crosswire schedule list` shows yours and this channel's; "
    "`/crosswire schedule remove sch-3f9a1c` removes one. For when: " + EXAMPLES + "."
)
BRIEFINGS_USAGE: Final = (
    "`/crosswire briefings off`, `/crosswire briefings on` or `/crosswire briefings lead 45m` "
    "(5m to 24h) change your pre-meeting briefings."
)
_QUOTED = re.compile(r'\s*["“”„](?P<when>[^"“”]*)(?P<end>["“”]?)(?P<rest>.*)', re.DOTALL)


class Unclear(ValueError):
    """A command that says too little to act on; the message says what it looks like."""


def words(text: str) -> str:
    """A command's text as typed (Slack escapes ``&``, ``<`` and ``>``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def is_schedule_command(text: str) -> bool:
    """Whether ``/crosswire TEXT`` is for this module rather than an ask."""
    first = text.strip().split(maxsplit=1)[:1]
    return bool(first) and first[0].lower() in SCHEDULE_WORDS | BRIEFING_WORDS


def split_when(text: str, tz: str) -> tuple[When, str]:
    """``"every weekday at 8am" today's meetings`` (or, unquoted, the longest opening words
    that say a time) as the time in ``tz`` and the objective after it."""
    quoted = _QUOTED.fullmatch(text)
    if quoted is not None:
        if not quoted["end"]:
            raise Unclear(f"The time needs a closing quote, as in `{EXAMPLE}`.")
        return parse_when(quoted["when"], tz), quoted["rest"].strip()
    parts = text.split()
    for count in range(min(len(parts), MAX_WHEN_WORDS), 0, -1):
        try:
            return parse_when(" ".join(parts[:count]), tz), " ".join(parts[count:])
        except BadWhen:
            continue
    raise BadWhen(
        f"I can't tell when that should run. Put the time in double quotes, as in "
        f"`{EXAMPLE}`; I understand {EXAMPLES}."
    )


def lead_words(lead: timedelta) -> str:
    """``45 minutes``, ``1 hour 30 minutes``, ``24 hours``."""
    seconds, parts = int(lead.total_seconds()), []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {unit}" + ("" if amount == 1 else "s"))
    return " ".join(parts)


def parse_lead(text: str) -> timedelta:
    """A briefing's lead as typed (``45m``, ``1h30m``), from 5 minutes to 24 hours."""
    if not text.strip():
        raise DurationError("Say how long before each meeting, e.g. 45m")
    lead = parse_duration(text)
    if not MIN_LEAD <= lead <= MAX_LEAD:
        raise DurationError(
            f"A briefing's lead is between 5 minutes and 24 hours, not {lead_words(lead)}"
        )
    return lead

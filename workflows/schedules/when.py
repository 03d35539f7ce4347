"""When a schedule fires, as people say it: "every weekday at 8am", "every Monday at 9:30",
"every day at 17:00", "every hour", "every 5 minutes", or a five-field cron expression.

A phrase becomes a :class:`When`: a cron expression or a fixed interval, in the creator's
time zone, that APScheduler's triggers compute fire times from. Standard cron numbers the
days of the week from Sunday = 0; APScheduler 3.x from Monday = 0, so numeric weekdays are
turned into names before they reach it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import BaseModel, ConfigDict

EXAMPLES: Final = (
    '"every weekday at 8am", "every Monday at 9:30", "every day at 17:00", '
    '"every hour", "every 5 minutes", or a cron expression such as "0 8 * * 1-5"'
)
MIN_INTERVAL_S: Final = 60
MAX_COALESCED: Final = 100_000  # ticks looked through after downtime (69 days of minutes)
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: Final = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
    "mon": "mon", "tue": "tue", "tues": "tue", "wed": "wed", "thu": "thu", "thur": "thu",
    "thurs": "thu", "fri": "fri", "sat": "sat", "sun": "sun",
}  # fmt: skip
_LONG: Final = dict(zip(_DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))  # fmt: skip
_DAY_SETS: Final = {
    "day": "*", "days": "*", "weekday": "mon-fri", "weekdays": "mon-fri",
    "weekend": "sat,sun", "weekends": "sat,sun",
}  # fmt: skip
_EVERY_WORDS: Final = {("*", "*"): "Every minute", ("0", "*"): "Every hour"}
_UNIT_S: Final = {"second": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600}
_INTERVAL = re.compile(r"every\s+(?:(\d+)\s+)?(second|minute|min|hour|hr)s?")
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?|noon|midnight"
_AT_DAYS = re.compile(rf"(?:every\s+|on\s+)?(?P<days>[a-z ,]+?)\s+at\s+(?P<time>{_TIME})")
_DAILY = re.compile(rf"(?:daily|every day)\s+at\s+(?P<time>{_TIME})")


class BadWhen(ValueError):
    """A phrase that says no time the bot can follow; the message shows ones it can."""


class When(BaseModel):
    """When a schedule fires: exactly one of ``cron`` (five fields, standard weekday numbers
    turned into names) or ``every_s`` (a fixed interval), in the time zone ``tz``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    tz: str
    cron: str | None = None
    every_s: int | None = None

    def trigger(self, start: datetime | None = None) -> CronTrigger | IntervalTrigger:
        """APScheduler's trigger for it (an interval counts from ``start``)."""
        zone = ZoneInfo(self.tz)
        if self.cron is not None:
            minute, hour, day, month, dow = self.cron.split()
            return CronTrigger(
                minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=zone
            )
        assert self.every_s is not None
        return IntervalTrigger(seconds=self.every_s, start_date=start, timezone=zone)

    def next_after(self, moment: datetime, *, start: datetime | None = None) -> datetime | None:
        """The first fire time strictly after ``moment``."""
        trigger = self.trigger(start)
        fire: datetime | None = trigger.get_next_fire_time(None, moment)
        while fire is not None and fire <= moment:
            fire = trigger.get_next_fire_time(fire, moment + timedelta(microseconds=1))
        return fire

    def last_due(
        self, first: datetime, now: datetime, *, start: datetime | None = None
    ) -> datetime:
        """The latest tick from ``first`` (a tick) up to ``now``: the one tick a schedule runs
        for after missing several (while the bot was down), instead of one run per tick."""
        trigger = self.trigger(start)
        due = first
        for _ in range(MAX_COALESCED):
            later: datetime | None = trigger.get_next_fire_time(due, due)
            if later is None or later > now or later <= due:
                return due
            due = later
        return due

    def describe(self, now: datetime, *, start: datetime | None = None) -> str:
        """In plain words, with the next fire: "Every Monday to Friday at 08:00
        America/New_York, next on Wed 2 Dec"."""
        rule, timed = self._rule()
        upcoming = self.next_after(now, start=start)
        if upcoming is None:
            return f"{rule}: it will not fire again"
        zone = ZoneInfo(self.tz)
        local = upcoming.astimezone(zone)
        if local.date() == now.astimezone(zone).date():
            return f"{rule}, next at {local:%H:%M}"
        day = f"{local:%a} {local.day} {local:%b}"
        return f"{rule}, next on {day}" + ("" if timed else f" at {local:%H:%M}")

    def _rule(self) -> tuple[str, bool]:
        """The rule in words, and whether the words already say the time of day."""
        if self.every_s is not None:
            return f"Every {_interval_words(self.every_s)}", False
        assert self.cron is not None
        minute, hour, day, month, dow = self.cron.split()
        if minute.isdigit() and hour.isdigit() and day == month == "*":
            return f"{_days_words(dow)} at {int(hour):02d}:{int(minute):02d} {self.tz}", True
        if day == month == dow == "*" and (minute, hour) in _EVERY_WORDS:
            return _EVERY_WORDS[(minute, hour)], False
        if day == month == dow == "*" and minute.startswith("*/") and hour == "*":
            return f"Every {minute[2:]} minutes", False
        if day == month == dow == "*" and minute == "0" and hour.startswith("*/"):
            return f"Every {hour[2:]} hours", False
        return f"On cron `{self.cron}` ({self.tz})", False


def parse_when(text: str, tz: str) -> When:
    """``text`` (a phrase or a cron expression) in the time zone ``tz``; :class:`BadWhen`
    with examples if it is neither."""
    zone = _zone(tz)
    cleaned = " ".join(text.strip().lower().replace("every single", "every").split())
    if not cleaned:
        raise BadWhen(f"Say when it should run, e.g. {EXAMPLES}.")
    if re.fullmatch(r"[\d*/,\-a-z]+(\s+[\d*/,\-a-z]+){4}", cleaned) and not cleaned.startswith(
        "every"
    ):
        return _cron(text.strip(), cleaned, zone)
    if (interval := _INTERVAL.fullmatch(cleaned)) is not None:
        return _every(text.strip(), interval, tz)
    cron = _daily(cleaned)
    if cron is None:
        raise BadWhen(f"I can't tell when {text.strip()!r} is. Try {EXAMPLES}.")
    return When(text=text.strip(), tz=tz, cron=cron)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadWhen(f"{tz!r} is not a time zone I know (e.g. America/New_York)") from None


def _cron(original: str, cleaned: str, zone: ZoneInfo) -> When:
    minute, hour, day, month, dow = cleaned.split()
    cron = " ".join((minute, hour, day, month, _weekdays(dow)))
    when = When(text=original, tz=str(zone), cron=cron)
    try:
        when.trigger()
    except ValueError as exc:
        raise BadWhen(f"{original!r} is not a cron expression I can follow ({exc}).") from None
    return when


def _every(original: str, match: re.Match[str], tz: str) -> When:
    count = int(match.group(1) or 1)
    seconds = count * _UNIT_S[match.group(2)]
    if seconds < MIN_INTERVAL_S:
        raise BadWhen('A schedule can run at most once a minute: try "every minute".')
    unit = match.group(2)
    if unit in ("minute", "min") and 60 % count == 0:
        cron = f"*/{count} * * * *" if count > 1 else "* * * * *"
        return When(text=original, tz=tz, cron=cron)
    if unit in ("hour", "hr") and 24 % count == 0:
        return When(text=original, tz=tz, cron="0 */" + str(count) + " * * *" if count > 1
                    else "0 * * * *")  # fmt: skip
    return When(text=original, tz=tz, every_s=seconds)


def _daily(cleaned: str) -> str | None:
    days: str | None
    if (daily := _DAILY.fullmatch(cleaned)) is not None:
        days = "*"
        time = daily.group("time")
    elif (match := _AT_DAYS.fullmatch(cleaned)) is not None:
        days = _day_field(match.group("days"))
        time = match.group("time")
    else:
        return None
    at = _clock_time(time) if days is not None else None
    if at is None or days is None:
        return None
    return f"{at[1]} {at[0]} * * {days}"


def _day_field(words: str) -> str | None:
    parts = [p for p in re.split(r"\s*(?:,|\band\b)\s*", words.strip()) if p]
    fields: list[str] = []
    for part in parts:
        part = part.removeprefix("every ").strip()
        if part in _DAY_SETS:
            fields.append(_DAY_SETS[part])
        elif (day := _DAY_NAMES.get(part.removesuffix("s"))) or (day := _DAY_NAMES.get(part)):
            fields.append(day)
        else:
            return None
    return "*" if "*" in fields else ",".join(fields) or None


def _clock_time(text: str) -> tuple[int, int] | None:
    if text in ("noon", "midnight"):
        return (12, 0) if text == "noon" else (0, 0)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text)
    if match is None:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _weekdays(dow: str) -> str:
    """A cron weekday field with Sunday = 0 (or 7) turned into day names."""

    def name(number: str) -> str:
        return _DAYS[(int(number) - 1) % 7]

    def term(part: str) -> str:
        step = ""
        if "/" in part:
            part, step = part.split("/", 1)
            step = "/" + step
        if "-" in part and all(p.isdigit() for p in part.split("-")):
            low, high = (int(p) for p in part.split("-"))
            if low == 0 and high >= 6:
                return "*" + step
            if low == 0:
                return "sun," + (f"mon-{name(str(high))}" if high > 1 else "mon") + step
            return f"{name(str(low))}-{name(str(high))}{step}"
        return (name(part) if part.isdigit() else part) + step

    return ",".join(term(p) for p in dow.split(","))


def _days_words(dow: str) -> str:
    if dow == "*":
        return "Every day"
    if dow == "mon-fri":
        return "Every Monday to Friday"
    if dow == "sat,sun":
        return "Every Saturday and Sunday"
    names = [_LONG.get(d, d) for d in dow.split(",")]
    return "Every " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0])


def _interval_words(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"

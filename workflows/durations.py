"""Durations as people write them in settings: ``90s``, ``45m``, ``24h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_PART = re.compile(r"(\d+)\s*([smhd])")
_WHOLE = re.compile(r"(?:\d+\s*[smhd]\s*)+")


class DurationError(ValueError):
    """A duration that cannot be read; the message says what a good one looks like."""


def parse_duration(text: str) -> timedelta:
    """``text`` as a positive :class:`timedelta`.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    cleaned = text.strip().lower()
    if not _WHOLE.fullmatch(cleaned):
        raise DurationError(
            f"{text.strip()!r} is not a duration: use a number and a unit "
            "(s, m, h or d), e.g. 90s, 45m, 24h or 1d"
        )
    total = timedelta()
    for amount, unit in _PART.findall(cleaned):
        total += timedelta(**{_UNITS[unit]: int(amount)})
    if total <= timedelta(0):
        raise DurationError(f"{text.strip()!r} is no time at all: it must be longer than 0s")
    return total


def format_duration(duration: timedelta) -> str:
    """The shortest way to write ``duration`` that :func:`parse_duration` reads back."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"

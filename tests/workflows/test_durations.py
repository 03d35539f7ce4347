"""Durations as people write them in settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from workflows.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("45m", timedelta(minutes=45)),
        ("24h", timedelta(hours=24)),
        (" 1D ", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1d 12h", timedelta(hours=36)),
    ],
)
def test_durations_read(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "1.5h", "-1h", "1w", "24 hours", "1h30"])
def test_a_bad_duration_says_what_a_good_one_looks_like(text: str) -> None:
    with pytest.raises(DurationError, match=re.escape("e.g. 90s, 45m, 24h or 1d")):
        parse_duration(text)


def test_no_time_at_all_is_refused() -> None:
    with pytest.raises(DurationError, match="longer than 0s"):
        parse_duration("0h0m")

"""Schedule phrases and cron expressions, in the creator's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows.schedules import BadWhen, parse_when

# Tuesday 1 December 2026, 10:40 in New York.
NOW = datetime(2026, 12, 1, 15, 40, tzinfo=UTC)
NY = "America/New_York"


@pytest.mark.parametrize(
    ("phrase", "cron", "described"),
    [
        ("every weekday at 8am", "0 8 * * mon-fri",
         "Every Monday to Friday at 08:00 America/New_York, next on Wed 2 Dec"),
        ("every Monday at 9:30", "30 9 * * mon",
         "Every Monday at 09:30 America/New_York, next on Mon 7 Dec"),
        ("every day at 17:00", "0 17 * * *", "Every day at 17:00 America/New_York, next at 17:00"),
        ("daily at noon", "0 12 * * *", "Every day at 12:00 America/New_York, next at 12:00"),
        ("every hour", "0 * * * *", "Every hour, next at 11:00"),
        ("every 5 minutes", "*/5 * * * *", "Every 5 minutes, next at 10:45"),
        ("Every Monday and Thursday at 9am", "0 9 * * mon,thu",
         "Every Monday and Thursday at 09:00 America/New_York, next on Thu 3 Dec"),
        ("0 8 * * 1-5", "0 8 * * mon-fri",
         "Every Monday to Friday at 08:00 America/New_York, next on Wed 2 Dec"),
        ("30 7 * * 0", "30 7 * * sun",
         "Every Sunday at 07:30 America/New_York, next on Sun 6 Dec"),
    ],
)  # fmt: skip
def test_phrases_become_cron_in_the_creators_zone(phrase: str, cron: str, described: str) -> None:
    when = parse_when(phrase, NY)
    assert when.cron == cron
    assert when.describe(NOW) == described


def test_an_interval_that_does_not_divide_the_hour_counts_from_its_start() -> None:
    when = parse_when("every 7 minutes", "UTC")
    assert when.every_s == 420
    assert when.next_after(NOW, start=NOW) == NOW + timedelta(minutes=7)


def test_eight_am_follows_new_york_across_the_daylight_saving_change() -> None:
    when = parse_when("every day at 8am", NY)
    before = when.next_after(datetime(2027, 3, 12, 20, 0, tzinfo=UTC))
    april = when.next_after(datetime(2027, 4, 1, 20, 0, tzinfo=UTC))
    assert before is not None and before.astimezone(UTC).hour == 13  # Sat 13 Mar, EST
    assert april is not None and april.astimezone(UTC).hour == 12  # after 14 Mar, EDT


def test_missed_ticks_coalesce_into_the_latest() -> None:
    when = parse_when("every 5 minutes", "UTC")
    first = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert when.last_due(first, first + timedelta(minutes=23)) == first + timedelta(minutes=20)
    assert when.last_due(first, first) == first


@pytest.mark.parametrize(
    ("phrase", "says"),
    [
        ("every blue moon", "every weekday at 8am"),
        ("", "Say when it should run"),
        ("every 10 seconds", "at most once a minute"),
        ("every day at 25:00", "can't tell when"),
        ("61 * * * *", "not a cron expression"),
        ("at 13pm every day", "can't tell when"),
    ],
)
def test_a_bad_phrase_gets_a_clear_answer_with_examples(phrase: str, says: str) -> None:
    with pytest.raises(BadWhen, match=says):
        parse_when(phrase, NY)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(BadWhen, match="not a time zone"):
        parse_when("every hour", "Mars/Olympus_Mons")

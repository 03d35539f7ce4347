"""The clocks: the system's follows the wall in UTC, the manual one moves only when told."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from workflows.clock import Clock, ManualClock, SystemClock

START = datetime(2026, 3, 5, 23, 50, tzinfo=UTC)


def test_the_system_clock_is_the_wall_clock_in_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(START)
    assert clock.now() == clock.now() == START


def test_a_manual_clock_advances_and_jumps() -> None:
    clock = ManualClock(START)
    assert clock.advance(timedelta(minutes=20)) == datetime(2026, 3, 6, 0, 10, tzinfo=UTC)
    assert clock.now().date().isoformat() == "2026-03-06"
    assert clock.set(START - timedelta(days=2)) == datetime(2026, 3, 3, 23, 50, tzinfo=UTC)
    assert clock.now() == START - timedelta(days=2)


def test_a_manual_clock_keeps_the_zone_it_was_given() -> None:
    tokyo = timezone(timedelta(hours=9))
    clock = ManualClock(datetime(2026, 3, 6, 8, 50, tzinfo=tokyo))
    assert clock.now() == START
    assert clock.now().utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize("moment", [datetime(2026, 3, 5, 23, 50)])
def test_a_manual_clock_refuses_naive_times(moment: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(moment)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(START).set(moment)


def test_a_manual_clock_does_not_advance_backwards() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="forwards"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == START


def test_both_are_clocks() -> None:
    clocks: list[Clock] = [SystemClock(), ManualClock(START)]
    assert all(c.now().tzinfo is not None for c in clocks)


WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}
WALL_CLOCK_CALLS |= {("date", "today"), ("time", "time")}


def _wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        match node:
            case ast.Call(func=ast.Attribute(value=ast.Name(id=owner), attr=attr)) if (
                owner,
                attr,
            ) in WALL_CLOCK_CALLS:
                found.append(f"{path}:{node.lineno}: {owner}.{attr}()")
    return found


def test_only_the_system_clock_reads_the_wall_clock() -> None:
    """Everything else takes "now" from the injected clock. (The sandbox stamps Slack's own
    message timestamps and signatures, which are Slack's wall-clock protocol, not our time.)"""
    root = Path(__file__).resolve().parents[2]
    allowed = {root / "workflows" / "clock.py"} | set((root / "bot" / "sandbox").rglob("*.py"))
    files = [f for pkg in ("bot", "workflows", "connectors") for f in (root / pkg).rglob("*.py")]
    reads = [r for f in sorted(files) if f not in allowed for r in _wall_clock_reads(f)]
    assert reads == []

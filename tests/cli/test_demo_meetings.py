"""``crosswire demo meetings`` and ``crosswire demo meeting move|cancel``: the next 24 hours'
meetings with their ids; a move keeps the id; an unknown id or a bad offset gets a clear
message and exit code 2, a move into the past or a second cancellation a clear refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.demo import demo_meeting_cancel, demo_meeting_move, demo_meetings, parse_offset
from bot.settings import Settings
from tests.cli.processes import crosswire
from workflows.clock import ManualClock

NOW = datetime(2026, 11, 21, 13, 50, tzinfo=UTC)
ACME = "evt-story-2-20261121T1500Z"  # Dana's next Acme meeting at 13:50
DANA = "dana.reyes@northwind.example"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "state").mkdir()
    return Settings(state_dir=tmp_path / "state")


async def listed(
    settings: Settings, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, object]]:
    assert await demo_meetings(settings, as_json=True, clock=clock) == 0
    found = json.loads(_printed(capsys))
    assert isinstance(found, list)
    return found


def _printed(capsys: pytest.CaptureFixture[str]) -> str:
    """What the command printed, without the world generator's log line (tests log to
    stdout)."""
    out = capsys.readouterr().out.splitlines()
    return "\n".join(line for line in out if "demo.world_generated" not in line)


def _acme(meetings: list[dict[str, object]]) -> dict[str, object]:
    return next(m for m in meetings if m["id"] == ACME)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("+15m", 15), ("-30m", -30), ("+2h", 120), ("+1h30m", 90), ("45m", 45), ("-1h", -60)],
)
def test_offsets_are_read_as_people_write_them(text: str, minutes: int) -> None:
    assert parse_offset(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["+15x", "15", "+", "", "+0m", "+1.5h", "+30m1h", "tomorrow"])
def test_a_bad_offset_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match=r"\+15m, -30m, \+2h or \+1h30m"):
        parse_offset(text)


async def test_the_list_shows_the_next_day_of_every_calendar(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(NOW)
    assert await demo_meetings(settings, as_json=False, clock=clock) == 0
    lines = _printed(capsys).splitlines()
    assert lines[0].split()[:4] == ["ID", "START", "(UTC)", "LOCAL"]
    acme = next(line for line in lines if line.startswith(ACME))
    assert (
        "Sat 21 Nov 15:00" in acme and "Acme Corporation" in acme and "alex.morgan@acme.io" in acme
    )
    assert "meetings in the next 24 hours" in lines[-1]
    found = await listed(settings, clock, capsys)
    starts = [datetime.fromisoformat(str(m["starts_at"])) for m in found]
    assert starts == sorted(starts) and all(NOW <= s < NOW + timedelta(days=1) for s in starts)
    assert _acme(found)["attendees"] == [
        DANA, "alex.morgan@acme.io", "jamie.ortiz@acme.io", "grace.liu@northwind.example"
    ]  # fmt: skip


async def test_a_move_keeps_the_id_and_a_cancel_removes_the_meeting(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(NOW)
    assert await demo_meeting_move(settings, ACME, ["+15m"], clock=clock) == 0
    said = capsys.readouterr().out
    assert f"Moved {ACME}" in said and "to Sat 21 Nov 15:15 UTC" in said
    clock.advance(timedelta(minutes=20))
    assert _acme(await listed(settings, clock, capsys))["starts_at"] == "2026-11-21T15:15:00Z"
    assert await demo_meeting_move(settings, ACME, ["-1h"], clock=clock) == 0
    assert "from Sat 21 Nov 15:15 UTC to Sat 21 Nov 14:15 UTC" in capsys.readouterr().out
    assert _acme(await listed(settings, clock, capsys))["starts_at"] == "2026-11-21T14:15:00Z"
    assert await demo_meeting_cancel(settings, ACME, clock=clock) == 0
    assert f"Cancelled {ACME}" in capsys.readouterr().out
    assert ACME not in {m["id"] for m in await listed(settings, clock, capsys)}


async def test_refusals_are_clear_and_change_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(NOW)
    assert await demo_meeting_move(settings, ACME, ["-2h"], clock=clock) == 1
    assert "in the past" in capsys.readouterr().err
    assert await demo_meeting_move(settings, "evt-nope", ["+15m"], clock=clock) == 2
    assert "There is no meeting 'evt-nope'" in capsys.readouterr().err
    assert await demo_meeting_move(settings, ACME, ["+15x"], clock=clock) == 2
    assert "'+15x' is not an offset" in capsys.readouterr().err
    assert await demo_meeting_move(settings, ACME, [], clock=clock) == 2
    assert "how far" in capsys.readouterr().err
    assert _acme(await listed(settings, clock, capsys))["starts_at"] == "2026-11-21T15:00:00Z"
    assert await demo_meeting_cancel(settings, ACME, clock=clock) == 0
    capsys.readouterr()
    assert await demo_meeting_cancel(settings, ACME, clock=clock) == 1
    assert "already cancelled" in capsys.readouterr().err
    assert await demo_meeting_cancel(settings, "evt-nope", clock=clock) == 2


def test_the_commands_as_a_user_runs_them(tmp_path: Path) -> None:
    """On the wall clock, as its own process: whatever the time, there is an Acme meeting
    in the next few hours to move (back, too: "-30m" is an offset, not an option)."""
    state = tmp_path / "state"
    meetings = json.loads(crosswire(state, "demo", "meetings", "--json").stdout)
    acme = next(m for m in meetings if m["title"].startswith("Acme"))
    moved = crosswire(state, "demo", "meeting", "move", acme["id"], "+1h")
    assert moved.returncode == 0, moved.stderr
    back = crosswire(state, "demo", "meeting", "move", acme["id"], "-30m")
    assert back.returncode == 0, back.stderr
    again = json.loads(crosswire(state, "demo", "meetings", "--json").stdout)
    starts = next(m["starts_at"] for m in again if m["id"] == acme["id"])
    was = datetime.fromisoformat(acme["starts_at"])
    assert datetime.fromisoformat(starts) == was + timedelta(minutes=30)
    bad = crosswire(state, "demo", "meeting", "move", acme["id"], "+15x")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "'+15x' is not an offset" in bad.stderr and "Traceback" not in bad.stderr
    unknown = crosswire(state, "demo", "meeting", "cancel", "evt-nope")
    assert unknown.returncode == 2 and "There is no meeting" in unknown.stderr
    assert crosswire(state, "demo", "meeting", "cancel", acme["id"]).returncode == 0
    twice = crosswire(state, "demo", "meeting", "cancel", acme["id"])
    assert twice.returncode == 1 and "already cancelled" in twice.stderr

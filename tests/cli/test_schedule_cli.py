"""``crosswire schedule add|list|remove`` as a user runs them, on SQLite and PostgreSQL: what
they print, what they store, and a clear line (exit code 2) for input that cannot work."""

from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.cli.processes import crosswire
from tests.postgres_server import POSTGRES_SERVER, postgres_database
from tests.readme import README
from workflows.audit import AuditStore
from workflows.clock import SystemClock
from workflows.schedules import Schedule, ScheduleStore, parse_when

DANA = "dana.reyes@northwind.example"
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
WEEKDAYS = "every weekday at 8am"
NEW_YORK = "America/New_York"
PICKUP = "A running `crosswire serve` {} at its next sync (within 30 s)."


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture(params=DATABASES)
async def env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """The environment of each run: the state folder's SQLite, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield {"TZ": "UTC"}
        return
    async with postgres_database() as name:
        yield {"TZ": "UTC", "CROSSWIRE_DATABASE_URL": f"{POSTGRES_SERVER}/{name}"}


def run(state: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return crosswire(state, "schedule", *args, env=env)


async def stored(state: Path, env: dict[str, str]) -> list[Schedule]:
    """The schedules as the database has them (the server reads the same rows)."""
    settings = Settings(
        state_dir=state, database_url=env.get("CROSSWIRE_DATABASE_URL", "")
    )  # the state folder as the command saw it
    audit = await AuditStore.open(settings.audit_database_url)
    try:
        return await ScheduleStore(audit.engine, SystemClock()).listed()
    finally:
        await audit.close()


def described(when: str, tz: str, before: datetime) -> set[str]:
    """How ``when`` is described from ``before`` to now (a tick may pass while a command runs)."""
    parsed = parse_when(when, tz)
    return {parsed.describe(before), parsed.describe(datetime.now(UTC))}


async def test_add_list_and_remove_a_channel_schedule(state: Path, env: dict[str, str]) -> None:
    before = datetime.now(UTC)
    added = await asyncio.to_thread(
        run, state, env, "add", "--as", DANA, "--channel", "C0SALES", "--tz", NEW_YORK,
        WEEKDAYS, "today's customer meetings",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    [schedule] = await stored(state, env)
    assert (schedule.objective, schedule.channel, schedule.source) == (
        "today's customer meetings",
        "C0SALES",
        "cli",
    )
    assert (schedule.owner.email, schedule.owner.name, schedule.owner.tz) == (
        DANA,
        "Dana Reyes",
        NEW_YORK,
    )
    assert (schedule.when.cron, schedule.when.tz) == ("0 8 * * mon-fri", NEW_YORK)
    first, where, pickup = added.stdout.splitlines()
    assert first in {
        f"Scheduled {schedule.id}: today's customer meetings. {words}."
        for words in described(WEEKDAYS, NEW_YORK, before)
    }
    assert where == "It delivers to channel C0SALES, as Dana Reyes."
    assert pickup == PICKUP.format("starts it")

    listed = await asyncio.to_thread(run, state, env, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"{schedule.id}  today's customer meetings"
    assert lines[1].startswith("  when:   Every Monday to Friday at 08:00 America/New_York, next")
    assert lines[2:] == [
        f"  owner:  Dana Reyes <{DANA}> (added from cli)",
        "  to:     channel C0SALES",
        "  last:   not run yet",
    ]
    [as_json] = json.loads((await asyncio.to_thread(run, state, env, "list", "--json")).stdout)
    assert Schedule.model_validate({k: v for k, v in as_json.items() if k != "description"}) == (
        schedule
    )
    assert as_json["description"] in described(WEEKDAYS, NEW_YORK, before)

    removed = await asyncio.to_thread(run, state, env, "remove", schedule.id)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == [
        f"Removed {schedule.id} (Dana Reyes's): today's customer meetings.",
        PICKUP.format("stops it"),
    ]
    assert await stored(state, env) == []
    again = await asyncio.to_thread(run, state, env, "remove", schedule.id)
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"crosswire: there is no schedule {schedule.id!r}; `crosswire schedule list` shows them"
    )


def test_a_dm_schedule_in_utc_and_an_empty_list(state: Path) -> None:
    empty = crosswire(state, "schedule", "list")
    assert empty.returncode == 0
    assert empty.stdout.startswith("No schedules yet. Add one with: crosswire schedule add --as")
    assert json.loads(crosswire(state, "schedule", "list", "--json").stdout) == []

    added = crosswire(state, "schedule", "add", "--as", "Dana.Reyes@Northwind.example",
                      "every 5 minutes", "  brief me   on Acme ")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines()[1] == "It delivers to a DM to Dana Reyes, as Dana Reyes."
    [shown] = json.loads(crosswire(state, "schedule", "list", "--json").stdout)
    assert (shown["objective"], shown["channel"], shown["owner"]["email"]) == (
        "brief me on Acme",
        None,
        DANA,
    )
    assert (shown["when"]["cron"], shown["when"]["tz"]) == ("*/5 * * * *", "UTC")
    assert shown["description"].startswith("Every 5 minutes, next ")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--as", "nobody@elsewhere.example", "every hour", "x"],
            "nobody with the email 'nobody@elsewhere.example' is in the company directory "
            "(try dana.reyes@northwind.example)",
        ),
        (
            ["--as", DANA, "every blue moon", "brief me on Acme"],
            "I can't tell when 'every blue moon' is. Try \"every weekday at 8am\", \"every "
            'Monday at 9:30", "every day at 17:00", "every hour", "every 5 minutes", or a '
            'cron expression such as "0 8 * * 1-5".',
        ),
        (
            ["--as", DANA, "--tz", "Mars/Olympus", "every hour", "x"],
            "'Mars/Olympus' is not a time zone I know (e.g. America/New_York)",
        ),
        (
            ["--as", DANA, "every hour", "   "],
            'say what it should do, e.g. "today\'s customer meetings"',
        ),
        (
            ["--as", DANA, "--channel", "#sales", "every hour", "x"],
            "--channel takes a channel's id such as C0123ABCD (in Slack: the channel's "
            "details, at the bottom), not '#sales'",
        ),
        (
            ["--as", DANA, "--channel", "D0DANA", "every hour", "x"],
            "leave out --channel for a DM to Dana Reyes; D0DANA is a DM's id",
        ),
        (
            ["--as", DANA, "every hour", "x" * 4001],
            "an objective is at most 4,000 characters (4,001)",
        ),
    ],
)
async def test_input_that_cannot_work_is_refused_in_one_line(
    state: Path, args: list[str], said: str
) -> None:
    done = await asyncio.to_thread(crosswire, state, "schedule", "add", *args)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == f"crosswire: {said}"
    assert await stored(state, {}) == []


def readme_commands() -> list[list[str]]:
    """The ``crosswire schedule`` commands of the README's "Schedules" part, as arguments."""
    text = README.read_text()
    part = text[text.index("### Schedules") : text.index("## Connect it to a Slack workspace")]
    block = part[part.index("```sh\n") + 6 :]
    block = block[: block.index("```")].replace("\\\n", " ")
    lines = [line.split("#", 1)[0] for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if "crosswire schedule" in line]


def test_the_readme_commands_work_as_written(state: Path) -> None:
    add, listing, remove = readme_commands()
    assert add[:2] == ["schedule", "add"] and listing == ["schedule", "list"]
    added = crosswire(state, *add)
    assert added.returncode == 0, added.stderr
    [shown] = json.loads(crosswire(state, "schedule", "list", "--json").stdout)
    assert (shown["objective"], shown["channel"]) == ("today's customer meetings", "C0123ABCD")
    assert crosswire(state, *listing).stdout.startswith(shown["id"])
    assert remove[:2] == ["schedule", "remove"]
    assert crosswire(state, "schedule", "remove", shown["id"]).returncode == 0

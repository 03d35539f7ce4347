"""Schedules an admin declares in a file (``CROSSWIRE_SCHEDULES_FILE``), kept in step with
it at every start: new ones added, changed ones replaced, ones no longer in the file removed.

    [[schedule]]
    id = "sales-digest"                      # letters, digits and dashes
    when = "every weekday at 8am"            # a phrase or a cron expression
    tz = "America/New_York"                  # default UTC
    objective = "today's customer meetings for the team"
    owner = "rachel.kim@northwind.example"   # whose run it is (and whose access it has)
    channel = "C0SALES"                      # optional: without it, the owner's DM
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflows.models import Principal
from workflows.schedules.ports import Roster
from workflows.schedules.when import BadWhen, When, parse_when

if TYPE_CHECKING:  # settings read a schedules file without the store (SQLAlchemy)
    from workflows.schedules.store import ScheduleStore

PREFIX = "cfg-"


class DeclaredError(ValueError):
    """A schedules file that cannot be followed; the message names the file and the entry."""


class Declared(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,30}$")
    when: str
    tz: str = "UTC"
    objective: str = Field(min_length=1, max_length=2000)
    owner: str = Field(min_length=3)
    channel: str | None = None

    def parsed(self) -> When:
        return parse_when(self.when, self.tz)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schedule: list[Declared] = Field(default_factory=list)


def read_declared(path: Path) -> list[Declared]:
    """The schedules in ``path``; :class:`DeclaredError` saying what is wrong, and where."""
    source = f"schedules file {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = _File.model_validate(data).schedule
    except (OSError, UnicodeDecodeError) as exc:
        raise DeclaredError(f"{source}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DeclaredError(f"{source}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DeclaredError(f"{source}: {where}: {first['msg']}") from None
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise DeclaredError(f"{source}: schedule id {entry.id!r} is declared twice")
        seen.add(entry.id)
        try:
            entry.parsed()
        except BadWhen as exc:
            raise DeclaredError(f"{source}: schedule {entry.id!r}: {exc}") from None
    return entries


async def declare_schedules(store: ScheduleStore, path: Path, roster: Roster) -> None:
    """Make the declared schedules in the store match ``path``."""
    entries = read_declared(path)
    wanted = {PREFIX + e.id: e for e in entries}
    for listed in await store.listed():
        if listed.source == "config" and listed.id not in wanted:
            await store.remove(listed.id)
    for schedule_id, entry in wanted.items():
        employee = roster.find_employee(entry.owner)
        if employee is None:
            raise DeclaredError(
                f"schedules file {path}: schedule {entry.id!r}: owner {entry.owner} is not "
                "in the company directory"
            )
        owner = Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))
        when = entry.parsed()
        current = await store.get(schedule_id)
        same = current is not None and (
            (current.when, current.objective, current.channel, current.owner.email)
            == (when, entry.objective, entry.channel, owner.email)
        )
        if current is not None and not same:
            await store.remove(schedule_id)
        if not same:
            await store.add(
                when,
                entry.objective,
                owner,
                channel=entry.channel,
                source="config",
                schedule_id=schedule_id,
            )

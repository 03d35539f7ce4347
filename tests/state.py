"""A state folder as the bot leaves it after its first start, copied instead of made again.

A first start migrates the audit database and DBOS's, generates the demo world for the
clock's day and builds the identity graph: about two seconds, paid by every test that starts
the bot on a fresh folder. A test's folder is instead seeded with a copy of one made by a real
first start (the harness's own, per test process and per demo day), so the test's own start
is a restart on an unchanged world: everything is loaded, nothing is rebuilt. The copy is a
copy of real files; nothing in the product knows of it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.settings import Settings, environment_names
from tests.harness import start_harness
from tests.postgres_server import (
    POSTGRES_SERVER,
    create_database,
    drop_database,
    postgres_database,
)
from workflows.clock import Clock, ManualClock, SystemClock

_templates: dict[date, Path] = {}
_postgres_templates: dict[date, tuple[Path, str]] = {}


def seeded(state_dir: Path, at: datetime | None = None) -> Path:
    """``state_dir``, made as a first start on the day of ``at`` (today by default) leaves it;
    SQLite settings only (a PostgreSQL database starts empty)."""
    day = (at or SystemClock().now()).date()
    template = _templates.get(day)
    if template is None:  # in a thread of its own: a fixture may be inside a running loop
        with ThreadPoolExecutor(1) as thread:
            template = thread.submit(_first_start, day, at).result()
    shutil.copytree(template, state_dir)
    return state_dir


def _first_start(day: date, at: datetime | None) -> Path:
    parent = tempfile.mkdtemp(prefix=f"crosswire-state-{day}-")
    atexit.register(shutil.rmtree, parent, ignore_errors=True)
    folder = Path(parent) / "state"
    clock: Clock | None = ManualClock(at) if at is not None else None
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(io.StringIO()):
        for name in environment_names():  # as the tests' own settings see the environment
            env.delenv(name, raising=False)
        settings = Settings(state_dir=folder, scheduler=False)
        asyncio.run(_start_and_stop(settings, clock))
    for database in folder.iterdir():
        if database.suffix in (".db", ".sqlite"):
            with contextlib.closing(sqlite3.connect(database)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _templates[day] = folder
    return folder


@asynccontextmanager
async def seeded_postgres(state_dir: Path, at: datetime | None = None) -> AsyncIterator[str]:
    """A new PostgreSQL database (its URL, dropped afterwards) and ``state_dir`` as a first
    start on the day of ``at`` leaves them: the database is created from a template database
    that a real first start filled, once per test process and day."""
    day = (at or SystemClock().now()).date()
    template = _postgres_templates.get(day)
    if template is None:
        with ThreadPoolExecutor(1) as thread:
            template = thread.submit(_first_postgres_start, day, at).result()
    folder, source = template
    shutil.copytree(folder, state_dir)
    async with postgres_database(template=source) as name:
        yield postgres_url(name)


def postgres_url(name: str) -> str:
    """The audit URL of database ``name`` on the test server."""
    return f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"


def _first_postgres_start(day: date, at: datetime | None) -> tuple[Path, str]:
    parent = tempfile.mkdtemp(prefix=f"crosswire-pg-state-{day}-")
    atexit.register(shutil.rmtree, parent, ignore_errors=True)
    folder = Path(parent) / "state"
    name = asyncio.run(create_database())
    atexit.register(lambda: asyncio.run(drop_database(name)))
    clock: Clock | None = ManualClock(at) if at is not None else None
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(io.StringIO()):
        for variable in environment_names():
            env.delenv(variable, raising=False)
        settings = Settings(state_dir=folder, scheduler=False, database_url=postgres_url(name))
        asyncio.run(_start_and_stop(settings, clock))
    _postgres_templates[day] = (folder, name)
    return folder, name


async def _start_and_stop(settings: Settings, clock: Clock | None) -> None:
    async with start_harness(settings, clock=clock):
        pass

"""Checks before anything starts, so that a setting that cannot work is one clear line.

A :class:`StartupError` carries the line (naming the setting or the option) and the command
line turns it into exit code 2. The database is tried once here, with a short time limit:
DBOS and the audit store would otherwise fail later, deep inside their own start, with a long
traceback.
"""

from __future__ import annotations

from bot.database_check import database_problem, sqlite_file_problem, writable_file_problem
from bot.settings import Settings
from workflows.audit.store import create_engine_for

STARTUP_TIMEOUT_S = 5.0


class StartupError(Exception):
    """A setting or option that cannot work; ``str()`` is the line to print."""


async def check_settings(settings: Settings) -> None:
    """Raise :class:`StartupError` if the state folder or the database cannot be used."""
    state_problem = writable_file_problem(settings.dbos_sqlite_file)
    if state_problem:
        raise StartupError(f"CROSSWIRE_STATE_DIR: {state_problem}")
    url = settings.audit_database_url
    problem = sqlite_file_problem(url) or await _connection_problem(url)
    if problem:
        raise StartupError(f"CROSSWIRE_DATABASE_URL: {problem}")


async def _connection_problem(url: str) -> str | None:
    engine = create_engine_for(url)
    try:
        return await database_problem(engine, timeout_s=STARTUP_TIMEOUT_S)
    finally:
        await engine.dispose()

"""Whether the configured database answers, said in words an operator can act on.

Used twice: before anything starts (an unusable ``CROSSWIRE_DATABASE_URL`` is one line and
exit code 2, never a traceback) and by ``/readyz`` while serving. Messages never carry the
URL's password.
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

PROBE_ERRORS = (OSError, TimeoutError, SQLAlchemyError)
POSTGRES_PORT = 5432


async def database_problem(engine: AsyncEngine, *, timeout_s: float) -> str | None:
    """``SELECT 1`` on ``engine`` within ``timeout_s``: ``None`` if it answered, else why not."""
    try:
        async with asyncio.timeout(timeout_s), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TypeError as exc:
        # asyncpg refuses connection options it does not know (a URL's query string).
        return f"an option in the URL is not understood ({exc})"
    except PROBE_ERRORS as exc:
        return describe(exc, engine.url, timeout_s=timeout_s)
    return None


def sqlite_file_problem(url: str) -> str | None:
    """Why the SQLite file of ``url`` cannot be created or written, if it cannot; ``None``
    for PostgreSQL or a usable path."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return writable_file_problem(Path(parsed.database))


def writable_file_problem(path: Path) -> str | None:
    """Why ``path`` (a file, perhaps not yet there) cannot be written, if it cannot."""
    folder = path.absolute().parent
    blocking = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        return f"{blocking} is not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the folder {folder} ({exc.strerror or exc})"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only"
    if not path.exists() and not os.access(folder, os.W_OK):
        return f"cannot write in the folder {folder}"
    return None


def describe(exc: BaseException, url: URL, *, timeout_s: float) -> str:
    """One line for a failed connection to ``url``."""
    where = _where(url)
    match exc:
        case TimeoutError():
            return f"no answer from {where} within {timeout_s:g} s"
        case ConnectionRefusedError():
            return f"cannot connect to {where} (connection refused)"
        case socket.gaierror():
            return f"cannot find the host {url.host!r} ({exc.strerror or exc})"
        case OSError():
            return f"cannot connect to {where} ({exc.strerror or exc})"
        case DBAPIError() if exc.orig is not None:
            return f"{_first_line(exc.orig)} on {where}"
        case _:
            return f"{_first_line(exc)} on {where}"


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port or POSTGRES_PORT}"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__

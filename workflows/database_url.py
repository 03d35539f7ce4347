"""Database URLs as people write them, turned into the drivers Crosswire runs on.

One database setting serves two clients: the audit store (async SQLAlchemy: ``aiosqlite`` or
``asyncpg``) and DBOS's system database (sync: ``sqlite`` or ``psycopg``). People write
``sqlite:///crosswire.db``, ``postgres://…`` (Heroku and most hosting panels),
``postgresql://…`` or a driver-qualified form; all of them mean the same database.
:func:`audit_url` turns any of them into the async form (the canonical one that settings
keep), :func:`system_url` turns that into DBOS's.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SQLITE_DRIVERS = ("", "aiosqlite", "pysqlite")
POSTGRES_SCHEMES = ("postgres", "postgresql")
POSTGRES_DRIVERS = ("", "asyncpg", "psycopg", "psycopg2")
EXPECTED = "expected sqlite:///FILE or postgresql://USER@HOST/DATABASE"


def audit_url(raw: str) -> str:
    """``raw`` in the async form the audit store uses; ``ValueError`` with a sentence a person
    can act on if it is not a SQLite or PostgreSQL URL."""
    url = _parse(raw)
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in SQLITE_DRIVERS:
        return _sqlite(url)
    if backend in POSTGRES_SCHEMES and driver in POSTGRES_DRIVERS:
        return _postgres(url)
    if backend in ("sqlite", *POSTGRES_SCHEMES):
        raise ValueError(f"unsupported driver {driver!r} for {backend}; {EXPECTED}")
    raise ValueError(f"unsupported database {backend!r}; {EXPECTED}")


def system_url(audit: str, sqlite_file: str) -> str:
    """DBOS's system database for the audit URL ``audit`` (any accepted form): PostgreSQL
    shares the audit's database (schema ``dbos``), SQLite gets its own file ``sqlite_file``."""
    url = make_url(audit_url(audit))
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{sqlite_file}"
    query = dict(url.query)
    if "ssl" in query:
        query["sslmode"] = query.pop("ssl")
    synced = url.set(drivername="postgresql+psycopg", query=query)
    return synced.render_as_string(hide_password=False)


def _parse(raw: str) -> URL:
    try:
        return make_url(raw.strip())
    except ArgumentError:
        raise ValueError(f"not a database URL; {EXPECTED}") from None


def _sqlite(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise ValueError("names no file (an in-memory database keeps nothing); use sqlite:///FILE")
    return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)


def _postgres(url: URL) -> str:
    query = dict(url.query)
    if "sslmode" in query:
        # libpq spells it sslmode; asyncpg takes the same values as ssl.
        query["ssl"] = query.pop("sslmode")
    async_url = url.set(drivername="postgresql+asyncpg", query=query)
    return async_url.render_as_string(hide_password=False)

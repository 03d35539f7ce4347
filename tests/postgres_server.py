"""The local PostgreSQL server for tests: a fresh database per use, dropped afterwards.

Set ``CROSSWIRE_TEST_POSTGRES`` to another server's URL (without a database name) to point
elsewhere. Without a reachable server the tests that need it skip locally but fail under CI,
where the server is part of the machine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

POSTGRES_SERVER = os.environ.get("CROSSWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@asynccontextmanager
async def postgres_database(template: str | None = None) -> AsyncIterator[str]:
    """A new database on the local server (dropped afterwards), empty or a copy of the
    database ``template``; yields its name."""
    name = f"crosswire_test_{uuid.uuid4().hex[:10]}"
    admin = await _admin()
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        yield name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def create_database() -> str:
    """A new, empty database kept until :func:`drop_database`; its name."""
    name = f"crosswire_test_{uuid.uuid4().hex[:10]}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {exc}")


async def drop_database(name: str) -> None:
    """Drop ``name`` now, connections and all (a test of what happens when it goes away)."""
    admin = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()

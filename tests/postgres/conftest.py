"""A fresh PostgreSQL database per test, on the local server; dropped afterwards.

Set ``CROSSWIRE_TEST_POSTGRES`` to another server's URL (without a database name) to point
elsewhere. Without a reachable server these tests skip locally but fail under CI, where the
server is part of the machine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

SERVER = os.environ.get("CROSSWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """``postgresql+asyncpg://…/crosswire_test_<random>``, created for this test."""
    name = f"crosswire_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(f"{SERVER}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {SERVER}: {exc}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()

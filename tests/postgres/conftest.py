"""A fresh PostgreSQL database per test, on the local server (see :mod:`tests.postgres_server`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.postgres_server import POSTGRES_SERVER, postgres_database


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """``postgresql+asyncpg://…/crosswire_test_<random>``, created for this test."""
    async with postgres_database() as name:
        yield f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"

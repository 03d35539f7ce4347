"""An engine for the identity graph's tests, on real SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.postgres_server import POSTGRES_SERVER, postgres_database
from workflows.audit.store import create_engine_for

DATABASES = ["sqlite", "postgres"]
"""The ``params`` of a test module's ``engine`` fixture."""


@asynccontextmanager
async def graph_engine(database: str, folder: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a SQLite file in ``folder``, or on a fresh PostgreSQL database."""
    if database == "sqlite":
        engine = create_engine_for(f"sqlite+aiosqlite:///{folder / 'graph.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    async with postgres_database() as name:
        url = POSTGRES_SERVER.replace("postgresql://", "postgresql+asyncpg://")
        engine = create_engine_for(f"{url}/{name}")
        try:
            yield engine
        finally:
            await engine.dispose()

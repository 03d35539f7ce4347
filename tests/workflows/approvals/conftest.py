"""Approvals are tested on both databases: an audit store on SQLite and on PostgreSQL, with
time from a :class:`ManualClock`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.postgres_server import POSTGRES_SERVER, postgres_database
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.clock import ManualClock

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def audit(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[AuditStore]:
    """An audit store (approvals table included) on a fresh database of either kind."""
    if request.param == "sqlite":
        store = await AuditStore.open(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}", clock=clock)
        yield store
        await store.close()
        return
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        store = await AuditStore.open(url, clock=clock)
        yield store
        await store.close()


@pytest.fixture
def approvals(audit: AuditStore) -> ApprovalStore:
    return ApprovalStore(audit.engine)

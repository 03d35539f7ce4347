from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import build_directory
from workflows.catalog import Catalog
from workflows.clock import ManualClock


@pytest.fixture
async def demo_catalog(tmp_path: Path) -> AsyncIterator[Catalog]:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    world = await open_demo_world(tmp_path / "demo.sqlite", clock=ManualClock(now))
    directory = await build_directory(world)
    yield Catalog.of(
        demo_operations(world, directory, DemoBehaviour.parse("", "")), DEMO_SYSTEM_LABELS
    )
    await world.close()

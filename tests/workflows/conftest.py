from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from workflows.catalog import Catalog
from workflows.clock import ManualClock

DEMO_NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[IdentityDirectory, Catalog]:
    """The demo world's directory and catalog at :data:`DEMO_NOW`, built once per module
    (planner tests only read them)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"

    async def build() -> tuple[IdentityDirectory, Catalog]:
        demo = await open_demo_world(path, clock=ManualClock(DEMO_NOW))
        directory = await build_directory(demo)
        ops = demo_operations(demo, directory, DemoBehaviour.parse("", ""))
        await demo.close()
        return directory, Catalog.of(ops, DEMO_SYSTEM_LABELS)

    return asyncio.run(build())


@pytest.fixture
async def demo_catalog(tmp_path: Path) -> AsyncIterator[Catalog]:
    world = await open_demo_world(tmp_path / "demo.sqlite", clock=ManualClock(DEMO_NOW))
    directory = await build_directory(world)
    yield Catalog.of(
        demo_operations(world, directory, DemoBehaviour.parse("", "")), DEMO_SYSTEM_LABELS
    )
    await world.close()

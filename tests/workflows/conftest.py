from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.wiring import build_catalog
from connectors.demo import DemoBehaviour, open_demo_world
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
        catalog = build_catalog(demo, directory, DemoBehaviour.parse("", ""))
        await demo.close()
        return directory, catalog

    return asyncio.run(build())


@pytest.fixture
async def demo_catalog(tmp_path: Path) -> AsyncIterator[Catalog]:
    world = await open_demo_world(tmp_path / "demo.sqlite", clock=ManualClock(DEMO_NOW))
    directory = await build_directory(world)
    yield build_catalog(world, directory, DemoBehaviour.parse("", ""))
    await world.close()

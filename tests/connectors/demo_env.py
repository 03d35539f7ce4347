"""The demo world held on one day and the identity directory over it, for tests that set a
vendor's stand-in (seeded from this world) beside its demo twin.

The state folder is seeded as a first start on that day leaves it (:mod:`tests.state`), so
the world and the identity graph are loaded, not generated and built again for each test; and
the directory is read from the same world, on the same clock, that the test then reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.directory import directory_over
from bot.settings import Settings
from connectors.demo import DemoWorld, open_demo_world
from connectors.identity import IdentityDirectory
from tests.state import seeded
from workflows.clock import ManualClock

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoState:
    settings: Settings
    world: DemoWorld
    directory: IdentityDirectory
    clock: ManualClock


@asynccontextmanager
async def demo_state(tmp_path: Path, at: datetime = NOW) -> AsyncIterator[DemoState]:
    """The demo world in ``tmp_path/.crosswire`` on the day of ``at`` (its clock stays at
    ``at`` until a test moves it) and the directory built over it; the world is open until
    the block ends."""
    state = tmp_path / ".crosswire"
    if not state.exists():
        seeded(state, at)
    settings = Settings(state_dir=state, scheduler=False)
    clock = ManualClock(at)
    world = await open_demo_world(settings.demo_database, clock=clock, seed=settings.demo_seed)
    try:
        yield DemoState(settings, world, await directory_over(settings, world, clock), clock)
    finally:
        await world.close()

"""The company directory for a command that needs to know who is who (``--as``, names)."""

from __future__ import annotations

from bot.settings import Settings
from connectors.demo import open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from workflows.clock import SystemClock


async def company_directory(settings: Settings) -> IdentityDirectory:
    """Who is who in the company's systems, read once (the systems are closed again)."""
    world = await open_demo_world(
        settings.demo_database, clock=SystemClock(), seed=settings.demo_seed
    )
    try:
        return await build_directory(world)
    finally:
        await world.close()

"""The company directory for a command that needs to know who is who (``--as``, names).

Opened from the identity graph in the audit database, as the bot opens it (built there the
first time, refreshed after): the verdicts people recorded count, and nothing is resolved
again in memory."""

from __future__ import annotations

from bot.settings import Settings
from connectors.demo import DemoWorld, open_demo_world
from connectors.identity import IdentityDirectory, open_directory
from workflows.audit import AuditStore
from workflows.clock import Clock, SystemClock


async def company_directory(settings: Settings) -> IdentityDirectory:
    """Who is who in the company's systems, read once (the systems and the database are
    closed again; the directory keeps what it read)."""
    clock = SystemClock()
    world = await open_demo_world(settings.demo_database, clock=clock, seed=settings.demo_seed)
    try:
        return await directory_over(settings, world, clock)
    finally:
        await world.close()


async def directory_over(settings: Settings, world: DemoWorld, clock: Clock) -> IdentityDirectory:
    """:func:`company_directory` over a demo world already open on ``clock`` (the audit
    database is closed again; the world stays open)."""
    audit = await AuditStore.open(settings.audit_database_url, clock=clock)
    try:
        return await open_directory(audit.engine, world, clock=clock)
    finally:
        await audit.close()

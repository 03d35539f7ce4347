"""The directory a command opens is the bot's: served from the identity graph in the audit
database, so a verdict a person recorded counts there too."""

from __future__ import annotations

from pathlib import Path

from bot.cli.directory import company_directory
from bot.settings import Settings
from connectors.demo import open_demo_world
from connectors.graph import IdentityGraph
from workflows.audit import AuditStore
from workflows.clock import SystemClock

ACME = ("crm", "acct-0001")
ACME_SUPPORT = ("support", "org-1042")


async def test_a_command_sees_the_verdicts_recorded_in_the_graph(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / ".crosswire", scheduler=False)
    settings.state_dir.mkdir(parents=True)
    first = await company_directory(settings)
    assert first.graph is not None
    assert "support" in first.accounts()[0].links
    audit = await AuditStore.open(settings.audit_database_url, clock=SystemClock())
    world = await open_demo_world(settings.demo_database, clock=SystemClock())
    try:
        graph = await IdentityGraph.open(audit.engine, world)
        assert graph.last.how != "built"  # the command built it; this only loads it
        await graph.override(ACME, ACME_SUPPORT, "not_same", by="rachel.kim@northwind.example")
    finally:
        await world.close()
        await audit.close()
    again = await company_directory(settings)
    acme = next(a for a in again.accounts() if a.account_id == ACME[1])
    assert "support" not in acme.links

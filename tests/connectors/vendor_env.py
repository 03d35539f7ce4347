"""The CRM and support operations of both implementations over one demo world: the demo
world's own, and HubSpot's or Zendesk's against its stand-in seeded from that world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors.demo import DemoBehaviour, DemoWorld, demo_operations
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.standin import HubSpotStandIn
from connectors.identity import IdentityDirectory
from connectors.standin import StandIn
from connectors.zendesk import ZendeskConnector
from connectors.zendesk.connector import basic_auth
from connectors.zendesk.standin import ZendeskStandIn
from tests.connectors.demo_env import demo_state
from workflows.catalog import AnyOperation
from workflows.clock import ManualClock

SYSTEM_OF = {"hubspot": "crm", "zendesk": "support"}
VENDOR_OF = {"crm": "hubspot", "support": "zendesk"}


@dataclass
class System:
    """One implementation's operations on one system (``crm`` or ``support``), by name."""

    name: str
    operations: dict[str, AnyOperation]
    world: DemoWorld
    directory: IdentityDirectory
    clock: ManualClock
    standin: StandIn | None = None


def hubspot_http(
    standin: HubSpotStandIn, token: str | None = None, timeout: float = 5
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=standin.url,
        headers={"Authorization": f"Bearer {token or standin.access_token}"},
        timeout=httpx.Timeout(timeout),
    )


def zendesk_http(
    standin: ZendeskStandIn, token: str | None = None, timeout: float = 5
) -> httpx.AsyncClient:
    auth = basic_auth(standin.email, token or standin.api_token)
    return httpx.AsyncClient(
        base_url=standin.url, headers={"Authorization": auth}, timeout=httpx.Timeout(timeout)
    )


@asynccontextmanager
async def system(
    system_id: str, name: str, tmp_path: Path, *, timeout: float = 5
) -> AsyncIterator[System]:
    """``system_id`` ("crm" or "support") as ``name`` implements it ("demo" or the vendor)."""
    async with demo_state(tmp_path) as demo:
        world, directory, clock = demo.world, demo.directory, demo.clock
        if name == "demo":
            ops = demo_operations(world, directory, DemoBehaviour())
            yield System(name, _of(ops, system_id), world, directory, clock)
            return
        standin: HubSpotStandIn | ZendeskStandIn
        connector: HubSpotConnector | ZendeskConnector
        if name == "hubspot":
            standin = HubSpotStandIn().start()
            await standin.seed_from(world)
            connector = HubSpotConnector(hubspot_http(standin, timeout=timeout), clock=clock)
        else:
            standin = ZendeskStandIn().start()
            await standin.seed_from(world)
            connector = ZendeskConnector(zendesk_http(standin, timeout=timeout), clock=clock)
        try:
            ops = list(connector.operations(directory))
            yield System(name, _of(ops, system_id), world, directory, clock, standin)
        finally:
            await connector.aclose()
            standin.close()


def _of(ops: list[AnyOperation], system_id: str) -> dict[str, AnyOperation]:
    return {op.name: op for op in ops if op.system == system_id}

"""The billing operations of both implementations over one demo world: the demo world's own,
and Stripe's against the Stripe stand-in seeded from that world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors.demo import DemoBehaviour, DemoWorld, demo_operations
from connectors.identity import IdentityDirectory
from connectors.stripe import StripeConnector
from connectors.stripe.standin import StripeStandIn
from tests.connectors.demo_env import demo_state
from workflows.catalog import AnyOperation
from workflows.clock import ManualClock


@dataclass
class Billing:
    """One implementation's ``billing.*`` operations, by name."""

    name: str
    operations: dict[str, AnyOperation]
    world: DemoWorld
    directory: IdentityDirectory
    clock: ManualClock
    standin: StripeStandIn | None = None


def stripe_http(
    standin: StripeStandIn, key: str | None = None, timeout: float = 5
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=standin.url,
        headers={"Authorization": f"Bearer {key or standin.api_key}"},
        timeout=httpx.Timeout(timeout),
    )


@asynccontextmanager
async def billing(name: str, tmp_path: Path, *, timeout: float = 5) -> AsyncIterator[Billing]:
    async with demo_state(tmp_path) as demo:
        world, directory, clock = demo.world, demo.directory, demo.clock
        if name == "demo":
            ops = demo_operations(world, directory, DemoBehaviour())
            yield Billing(name, _billing(ops), world, directory, clock)
            return
        with StripeStandIn() as standin:
            await standin.seed_from(world)
            connector = StripeConnector(stripe_http(standin, timeout=timeout), clock=clock)
            try:
                ops = list(connector.operations(directory))
                yield Billing(name, _billing(ops), world, directory, clock, standin)
            finally:
                await connector.aclose()


def _billing(ops: list[AnyOperation]) -> dict[str, AnyOperation]:
    return {op.name: op for op in ops if op.system == "billing"}

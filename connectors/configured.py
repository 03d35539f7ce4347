"""The configured connectors, opened together: the one thing the composition root asks of
``connectors/`` (it never learns which connectors these are).

    connected = await open_connectors(config, demo=DemoConfig(...), clock=clock)
    directory = await build_directory(connected.world)
    operations = connected.operations(directory)   # one entry per operation name
    report = await connected.check()               # `crosswire connectors check`
    await connected.aclose()

A system is served by exactly one connector: the last configured one that names it, so a real
billing connector replaces the demo world's billing operations and keeps their names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from connectors import google, hubspot, mcp, stripe, zendesk
from connectors.config import ConnectorsConfig, DemoConfig
from connectors.demo.connector import DemoConnector
from connectors.demo.store import DemoWorld
from connectors.pacing import PacedByRequest, Pacing, paced_operations
from connectors.protocol import Connector, RateLimit, Reachability
from workflows.catalog import AnyOperation
from workflows.clock import Clock

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

HEALTH_TIMEOUT_S = 10.0


class SystemHealth(BaseModel):
    """One system as ``crosswire connectors check`` reports it."""

    model_config = ConfigDict(frozen=True)

    system: str
    label: str
    connector: str
    reachable: bool
    authorised: bool
    reads: int
    writes: int
    problem: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and self.authorised

    def sentence(self) -> str:
        """The system in plain words: "Billing (stripe): reachable and authorised; 2 reads,
        2 writes." or what is wrong with it."""
        head = f"{self.label} ({self.connector})"
        if self.ok and self.connector == "mcp" and self.note:
            # An MCP server is whatever the file points at: say which one answered, and how.
            return f"{head}: reachable and authorised; {self.capabilities()}; {self.note}."
        if self.ok:
            return f"{head}: reachable and authorised; {self.capabilities()}."
        if not self.reachable:
            return f"{head}: NOT REACHABLE: {self.problem}"
        return f"{head}: reachable but NOT AUTHORISED: {self.problem}"

    def capabilities(self) -> str:
        return f"{_count(self.reads, 'read')}, {_count(self.writes, 'write')}"


@dataclass(frozen=True)
class ConnectedSystems:
    """The configured connectors, in order (the demo world first)."""

    connectors: tuple[Connector, ...]
    demo: DemoConnector
    config: ConnectorsConfig
    # What every request waits for: bound to the rate budgets by the composition root.
    pacing: Pacing = field(default_factory=Pacing)

    @property
    def world(self) -> DemoWorld:
        """The demo world, which the identity layer and the recipient guard read today."""
        return self.demo.world

    def serving(self) -> dict[str, Connector]:
        """The connector that serves each system."""
        return {system: c for c in self.connectors for system in c.systems()}

    def labels(self) -> dict[str, str]:
        return {s: c.systems()[s] for s, c in self.serving().items()}

    def operations(self, directory: IdentityDirectory) -> list[AnyOperation]:
        """Every served operation; those of a connector that sends no HTTP of its own (the
        demo world, an MCP server) wait for their system's turn per call."""
        serving = self.serving()
        found: list[AnyOperation] = []
        for c in self.connectors:
            ops = [op for op in c.operations(directory) if serving.get(op.system, c) is c]
            found += ops if isinstance(c, PacedByRequest) else paced_operations(ops, self.pacing)
        return found

    def rate_limits(self) -> dict[str, RateLimit]:
        """Each system's budget: its connector's default, or the one settings give."""
        limits = {s: lim for c in self.connectors for s, lim in c.rate_limits().items()}
        return {**limits, **self.config.rate_limits}

    async def check(self, directory: IdentityDirectory) -> list[SystemHealth]:
        """Every system's health and what it can do, in the order of the connectors."""
        serving = self.serving()
        found = await asyncio.gather(*(_health(c) for c in self.connectors))
        counts = _counts(self.operations(directory))
        report = []
        for connector, reachabilities in zip(self.connectors, found, strict=True):
            for r in reachabilities:
                if serving.get(r.system) is not connector:
                    continue
                reads, writes = counts.get(r.system, (0, 0))
                label = connector.systems().get(r.system, r.system)
                report.append(_row(r, label, connector.name, reads, writes))
        return report

    async def aclose(self) -> None:
        for connector in reversed(self.connectors):
            await connector.aclose()


async def open_connectors(
    config: ConnectorsConfig, *, demo: DemoConfig, clock: Clock
) -> ConnectedSystems:
    """Open every configured connector (the demo world first)."""
    world = await DemoConnector.open(
        demo.database, clock=clock, seed=demo.seed, behaviour=demo.behaviour
    )
    others: list[Connector] = []
    # Each vendor's connector (its HTTP client, Google's key signing, the MCP SDK) is imported
    # here, and only when it is configured (see workflows.lazy).
    if config.stripe is not None:
        others.append(stripe.open_stripe(config.stripe, clock=clock))
    if config.google is not None:
        others.append(google.open_google(config.google, clock=clock))
    if config.hubspot is not None:
        others.append(hubspot.open_hubspot(config.hubspot, clock=clock))
    if config.zendesk is not None:
        others.append(zendesk.open_zendesk(config.zendesk, clock=clock))
    others += await asyncio.gather(*(mcp.open_mcp(n, c) for n, c in config.mcp.items()))
    connected = ConnectedSystems(connectors=(world, *others), demo=world, config=config)
    for connector in others:
        if isinstance(connector, PacedByRequest):
            connector.pace(connected.pacing)
    return connected


async def _health(connector: Connector) -> Sequence[Reachability]:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            return await connector.health()
    except TimeoutError:
        problem = f"no answer within {HEALTH_TIMEOUT_S:g}s"
        return [
            Reachability(system=s, reachable=False, authorised=False, problem=problem)
            for s in connector.systems()
        ]


def _row(r: Reachability, label: str, connector: str, reads: int, writes: int) -> SystemHealth:
    return SystemHealth(
        system=r.system,
        label=label,
        connector=connector,
        reachable=r.reachable,
        authorised=r.authorised,
        reads=reads,
        writes=writes,
        problem=r.problem,
        note=r.note,
    )


def _counts(operations: Sequence[AnyOperation]) -> Mapping[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for op in operations:
        reads, writes = counts.get(op.system, (0, 0))
        counts[op.system] = (reads + (op.access == "read"), writes + (op.access == "write"))
    return counts


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


__all__ = ["ConnectedSystems", "SystemHealth", "open_connectors"]

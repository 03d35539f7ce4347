"""The built-in demo world as a connector (:class:`~connectors.protocol.Connector`): Northwind
Labs' CRM, mailbox, calendar, support desk, contracts, usage, billing, marketing, scheduling
and tasks on one SQLite file, with the latency and faults of :class:`DemoBehaviour`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.labels import DEMO_SYSTEM_LABELS, SPOKEN
from connectors.demo.operations import demo_operations
from connectors.demo.store import DemoWorld, open_demo_world
from connectors.protocol import RateLimit, Reachability
from workflows.catalog import AnyOperation
from workflows.clock import Clock

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

BUILT_IN = "built in, no credentials needed"


class DemoConnector:
    """The demo systems, served from an opened :class:`DemoWorld`."""

    name = "demo"

    def __init__(self, world: DemoWorld, behaviour: DemoBehaviour) -> None:
        self.world = world
        self.behaviour = behaviour

    @classmethod
    async def open(
        cls, path: Path, *, clock: Clock, seed: int, behaviour: DemoBehaviour
    ) -> DemoConnector:
        return cls(await open_demo_world(path, clock=clock, seed=seed), behaviour)

    def systems(self) -> Mapping[str, str]:
        return DEMO_SYSTEM_LABELS

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return demo_operations(self.world, directory, self.behaviour)

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {}  # a local file: nothing to protect

    async def health(self) -> Sequence[Reachability]:
        problem = await self._file_problem()
        return [self._reachability(system, problem) for system in self.systems()]

    async def aclose(self) -> None:
        await self.world.close()

    async def _file_problem(self) -> str:
        try:
            async with self.world.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError) as exc:
            return f"the demo database cannot be read ({type(exc).__name__})"
        return ""

    def _reachability(self, system: str, file_problem: str) -> Reachability:
        spoken = SPOKEN.get(system, system)
        spoken = spoken[0].upper() + spoken[1:]
        match None if system not in SPOKEN else self.behaviour.fault_for(system):
            case "error":
                problem = f"{spoken} is not responding (503, injected by CROSSWIRE_DEMO_FAULTS)"
            case "timeout":
                problem = f"{spoken} does not answer (injected by CROSSWIRE_DEMO_FAULTS)"
            case None:
                problem = file_problem
        return Reachability(
            system=system, reachable=not problem, authorised=True, problem=problem, note=BUILT_IN
        )


__all__ = ["DemoConnector"]

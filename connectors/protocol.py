"""What a connector is: a source of operations on one or more systems, with a health check and
a close. The demo world is one connector; Stripe, HubSpot or an MCP server are others.

    connector.systems()          {"billing": "Billing"}: the systems it serves, with labels
    connector.operations(dir)    its catalog entries (reads and writes, risk and undo declared
                                 on each :class:`~workflows.catalog.Operation`)
    connector.rate_limits()      the budget each of its systems allows (the vendor's limits)
    await connector.health()     per system: reachable? authorised? in plain words
    await connector.aclose()     lets go of its clients and files

A connector never retries or sheds load itself: it raises the connector error tree
(:mod:`connectors.errors`, through :mod:`connectors.http` for HTTP) and the engine applies
resilience to every operation alike. Its requests wait for their system's rate budget, which
the composition root binds (:mod:`connectors.pacing`). Records for the identity layer are not
part of this protocol: they come from identity sources (:mod:`connectors.graph`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field

from workflows.catalog import AnyOperation

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory


class RateLimit(BaseModel):
    """How fast a system may be called: ``per_second`` on average, ``burst`` at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_second: float = Field(gt=0)
    burst: int = Field(1, ge=1)


class Reachability(BaseModel):
    """What a connector's health check found for one system, in plain words.

    ``problem`` says what is wrong ("Stripe refused our credentials (401): …"), never a
    secret; it is empty when the system is reachable and authorised."""

    model_config = ConfigDict(frozen=True)

    system: str
    reachable: bool
    authorised: bool
    problem: str = ""
    note: str = ""  # how it was checked, e.g. "built in, no credentials needed"


class Connector(Protocol):
    """One configured connector (see the module docstring)."""

    @property
    def name(self) -> str:
        """What it is, as settings name it: ``"demo"``, ``"stripe"``."""
        ...

    def systems(self) -> Mapping[str, str]:
        """The system ids it serves, each with its label for answers."""
        ...

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        """Its catalog entries; ``directory`` serves operations that resolve customers."""
        ...

    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The rate budget of each of its systems that has one (settings may override)."""
        ...

    async def health(self) -> Sequence[Reachability]:
        """Ask each system whether it answers and accepts our credentials; never raises."""
        ...

    async def aclose(self) -> None: ...


__all__ = ["Connector", "RateLimit", "Reachability"]

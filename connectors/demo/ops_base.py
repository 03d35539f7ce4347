"""What every demo read operation shares: input models, and the wrapper that applies behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from connectors.demo.behaviour import DemoBehaviour
from workflows.catalog import CallContext, Operation, Risk
from workflows.domain import AccountRef

InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)


class Input(BaseModel):
    """Base of operation inputs: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountInput(Input):
    """An account as the directory resolved it; each system reads its own link."""

    account: AccountRef


def read_operation(
    name: str,
    description: str,
    models: tuple[type[InT], type[OutT]],
    handler: Callable[[InT], Awaitable[OutT]],
    behaviour: DemoBehaviour | None,
) -> Operation[InT, OutT]:
    """A low-risk read named ``system.verb``; ``behaviour`` (if any) runs before ``handler``."""
    system = name.partition(".")[0]

    async def call(inp: InT, ctx: CallContext) -> OutT:
        if behaviour is None:
            return await handler(inp)
        # The injected latency is the system's response time, as for a remote system whose
        # own work happens while the request is on the wire: the local query overlaps it.
        query = asyncio.ensure_future(handler(inp))
        try:
            await behaviour.apply(system)
        except BaseException:
            query.cancel()
            await asyncio.gather(query, return_exceptions=True)
            raise
        return await query

    return Operation(
        name=name,
        system=system,
        description=description,
        input_model=models[0],
        output_model=models[1],
        handler=call,
        access="read",
        risk=Risk.LOW,
        reversible=True,
    )

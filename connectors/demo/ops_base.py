"""What every demo operation shares: input models, the wrappers that apply behaviour to reads
and writes, and acting once per idempotency key."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.store import DemoRead, DemoWorld
from connectors.demo.writes import write_log
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

    async def told(inp: InT, ctx: CallContext) -> OutT:
        return await handler(inp)

    return context_read_operation(name, description, models, told, behaviour)


def context_read_operation(
    name: str,
    description: str,
    models: tuple[type[InT], type[OutT]],
    handler: Callable[[InT, CallContext], Awaitable[OutT]],
    behaviour: DemoBehaviour | None,
) -> Operation[InT, OutT]:
    """A low-risk read named ``system.verb`` whose handler is told the call's context (who
    asks); ``behaviour`` (if any) is the system's latency and faults."""
    system = name.partition(".")[0]

    async def call(inp: InT, ctx: CallContext) -> OutT:
        if behaviour is None:
            return await handler(inp, ctx)
        # The injected latency is the system's response time, as for a remote system whose
        # own work happens while the request is on the wire: the local query overlaps it.
        query = asyncio.ensure_future(handler(inp, ctx))
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


def write_operation(
    name: str,
    description: str,
    models: tuple[type[InT], type[OutT]],
    handler: Callable[[InT, CallContext], Awaitable[OutT]],
    behaviour: DemoBehaviour | None,
    *,
    risk: Risk,
    undo: str | None = None,
    editable: tuple[str, ...] = (),
) -> Operation[InT, OutT]:
    """A write named ``system.verb``, reversible exactly when it names its ``undo``.

    ``behaviour`` (latency, faults) runs before ``handler``: a system that is down or never
    answers has written nothing. ``handler`` is told the call's context so it can act once
    per ``ctx.idempotency_key`` (see :func:`once`)."""
    system = name.partition(".")[0]

    async def call(inp: InT, ctx: CallContext) -> OutT:
        if behaviour is not None:
            await behaviour.apply(system)
        return await handler(inp, ctx)

    return Operation(
        name=name,
        system=system,
        description=description,
        input_model=models[0],
        output_model=models[1],
        handler=call,
        access="write",
        risk=risk,
        reversible=undo is not None,
        undo=undo,
        editable=editable,
    )


def record_id(prefix: str, ctx: CallContext) -> str:
    """A written record's id, derived from the call's key: the same on every repeat."""
    digest = hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def asked_by(ctx: CallContext) -> dict[str, str]:
    """The columns every written row keeps: the run that asked, and the call's key."""
    return {"run_id": ctx.run_id, "idempotency_key": ctx.idempotency_key}


async def once(
    world: DemoWorld,
    operation: str,
    ctx: CallContext,
    model: type[OutT],
    act: Callable[[DemoRead], Awaitable[OutT]],
) -> OutT:
    """Run ``act`` once per ``(operation, ctx.idempotency_key)``, in one write transaction
    with the record of its output; a repeat changes nothing and returns the first output,
    marked ``duplicate``."""
    key = ctx.idempotency_key
    async with world.write() as write:
        query = select(write_log.c.output).where(
            write_log.c.operation == operation, write_log.c.idempotency_key == key
        )
        stored = (await write.conn.execute(query)).scalar_one_or_none()
        if stored is not None:
            return model.model_validate(stored).model_copy(update={"duplicate": True})
        output = await act(write)
        await write.conn.execute(
            write_log.insert().values(
                operation=operation,
                idempotency_key=key,
                run_id=ctx.run_id,
                at=write.now,
                output=output.model_dump(mode="json"),
            )
        )
        return output

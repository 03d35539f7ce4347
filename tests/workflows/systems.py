"""Small in-process systems for engine tests: each records its calls and can be told to fail."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pydantic import BaseModel

from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.engine import StepPolicy
from workflows.errors import PermanentOperationError, TransientOperationError
from workflows.plan import Plan, Step


class Query(BaseModel):
    q: str = ""


class Items(BaseModel):
    items: list[str]


class Echo(BaseModel):
    value: str


@dataclass
class System:
    """A test system: ``fail_times`` transient failures first, or ``mode`` forever."""

    name: str
    delay: float = 0.0
    fail_times: int = 0
    mode: str = "ok"  # ok | transient | permanent | hang | crash
    calls: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    called: asyncio.Event = field(default_factory=asyncio.Event)

    async def echo(self, inp: Query, ctx: CallContext) -> Echo:
        self.calls.append((ctx.idempotency_key, inp.q))
        self.called.set()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(inp)
        finally:
            self.in_flight -= 1

    async def _answer(self, inp: Query) -> Echo:
        await asyncio.sleep(self.delay)
        if self.fail_times > 0:
            self.fail_times -= 1
            raise TransientOperationError(f"{self.name} blinked", system=self.name)
        match self.mode:
            case "transient":
                raise TransientOperationError(f"{self.name} is down (503)", system=self.name)
            case "permanent":
                raise PermanentOperationError(f"{self.name} refused", system=self.name)
            case "hang":
                await asyncio.Event().wait()
            case "crash":
                raise KeyError("bug")
        return Echo(value=f"{self.name}:{inp.q}")

    async def list(self, inp: Query, ctx: CallContext) -> Items:
        self.calls.append((ctx.idempotency_key, inp.q))
        return Items(items=["a", "b", "c"])

    def operations(self) -> list[AnyOperation]:
        return [
            Operation(
                name=f"{self.name}.echo",
                system=self.name,
                description="echo",
                input_model=Query,
                output_model=Echo,
                handler=self.echo,
            ),
            Operation(
                name=f"{self.name}.list",
                system=self.name,
                description="list",
                input_model=Query,
                output_model=Items,
                handler=self.list,
            ),
        ]


# A run that gets stuck in its second step: "first" answers, "stuck" hangs until told
# otherwise (``stuck.mode = "ok"``). Used to interrupt a run mid-way.
INTERRUPTIBLE_PLAN = Plan(
    workflow="test",
    subject="t",
    steps=(
        Step(id="a", operation="first.echo", args={"q": "1"}),
        Step(id="b", operation="stuck.echo", args={"q": {"$ref": "a.value"}}),
    ),
)
PATIENT = StepPolicy(timeout_s=30, attempts=1)

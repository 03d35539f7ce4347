"""Operations and the catalog: everything a plan may ask a system to do, and nothing else.

An :class:`Operation` is one typed thing a system can do (``crm.get_account``). It declares its
input and output models, whether it reads or writes, its risk and whether (and how) it can be
undone. Connectors build operations; planners read their descriptions; the engine calls them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from workflows.errors import PlanError

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class Risk(StrEnum):
    """How much harm a wrong call can do; the action-boundary policy reads it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class CallContext:
    """What an operation is told about the call besides its input.

    ``idempotency_key`` is stable across retries and replays of the same call: run id + step
    id, plus the item's index for each call of a fan-out (``item``), so that every email of a
    fan-out is its own send. A write must pass it to its system so that running the step twice
    acts once.
    """

    run_id: str
    step_id: str
    requester_email: str
    item: int | None = None

    @property
    def idempotency_key(self) -> str:
        base = f"{self.run_id}:{self.step_id}"
        return base if self.item is None else f"{base}:{self.item}"

    def for_item(self, index: int) -> CallContext:
        """The context of one call of a fan-out."""
        return CallContext(self.run_id, self.step_id, self.requester_email, index)


Handler = Callable[[In, CallContext], Awaitable[Out]]


@dataclass(frozen=True)
class Operation(Generic[In, Out]):
    """One thing one system can do, with its contract."""

    name: str
    system: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    handler: Handler[In, Out]
    access: Literal["read", "write"] = "read"
    risk: Risk = Risk.LOW
    reversible: bool = True
    # The compensating operation of a reversible write: it takes this operation's output as
    # its input (its input model is this one's output model), checked by :meth:`Catalog.of`.
    undo: str | None = None
    # String arguments an approver may edit before the write runs (an email's subject, body).
    editable: tuple[str, ...] = ()
    # False for a write its system cannot recognise a repeat of, whatever idempotency key it
    # is given (an MCP tool): the engine then never sends it again after a restart
    # (workflows.engine.once).
    repeatable: bool = True

    def describe(self) -> dict[str, Any]:
        """The operation as a planner sees it: name, purpose, and input JSON schema."""
        return {
            "name": self.name,
            "system": self.system,
            "description": self.description,
            "access": self.access,
            "risk": self.risk.value,
            "reversible": self.reversible,
            "input_schema": self.input_model.model_json_schema(),
        }


AnyOperation = Operation[Any, Any]


@dataclass(frozen=True)
class Catalog:
    """The set of operations a plan may use, and the display names of their systems."""

    operations: Mapping[str, AnyOperation]
    system_labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, operations: Iterable[AnyOperation], system_labels: Mapping[str, str] | None = None
    ) -> Catalog:
        ops: dict[str, AnyOperation] = {}
        for op in operations:
            if op.name in ops:
                raise ValueError(f"operation {op.name!r} is defined twice")
            ops[op.name] = op
        for op in ops.values():
            _check_undo(op, ops)
        return cls(operations=ops, system_labels=dict(system_labels or {}))

    def get(self, name: str) -> AnyOperation:
        try:
            return self.operations[name]
        except KeyError:
            raise PlanError(f"the catalog has no operation named {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.operations

    def __iter__(self) -> Iterator[AnyOperation]:
        return iter(self.operations.values())

    def label(self, system: str) -> str:
        """A system's name as people know it ("Support desk"), falling back to its id."""
        return self.system_labels.get(system, system)

    def replace(self, operation: AnyOperation) -> Catalog:
        """A copy with one operation swapped for another of the same name (tests, fault drills)."""
        if operation.name not in self.operations:
            raise PlanError(f"the catalog has no operation named {operation.name!r}")
        return Catalog({**self.operations, operation.name: operation}, self.system_labels)


def _check_undo(op: AnyOperation, ops: Mapping[str, AnyOperation]) -> None:
    """A write that declares itself reversible names an existing compensating operation that
    takes its output; one that declares an undo must not be a read."""
    if op.access == "read":
        if op.undo is not None:
            raise ValueError(f"{op.name} is a read and cannot declare an undo")
        return
    if op.reversible and op.undo is None:
        raise ValueError(f"{op.name} is declared reversible but names no undo operation")
    if op.undo is None:
        return
    undo = ops.get(op.undo)
    if undo is None:
        raise ValueError(f"{op.name}'s undo operation {op.undo!r} is not in the catalog")
    if undo.input_model is not op.output_model:
        raise ValueError(
            f"{op.undo} cannot undo {op.name}: it must take {op.output_model.__name__} as input"
        )

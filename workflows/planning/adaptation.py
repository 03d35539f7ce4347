"""Adapting a plan to what its steps found: after a stage of steps, the model says whether the
objective is met or which reads to add, within a budget of rounds, tokens and time.

A planner that adapts (:class:`Adapts`, the Claude planner) answers each round with an
:class:`Adaptation`: ``done``, ``steps`` (reads to run as the next stage, validated against
the catalog together with the plan so far), ``refused`` (what the model asked for did not fit:
an unknown operation, a write, a repeated id; the run finishes with what it has) or
``unavailable`` (the API failed). Adaptation adds reads only: a write needs the requester's
plan preview and the approval boundary, which an adaptation never goes through, so an added
write is refused rather than run. The engine (:mod:`workflows.engine.adaptation`) asks only
when the plan asked to be reviewed (``review_after`` in the planning usage) and records each
round, with its reason, in the audit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflows.catalog import Catalog
from workflows.errors import PlanError
from workflows.models import Objective
from workflows.plan import Plan, Step, validate_plan
from workflows.planning.protocol import capability
from workflows.planning.usage import Metered
from workflows.results import StepResult

# At most this many steps are added in one round.
MAX_ADDED_STEPS = 8
AdaptationKind = Literal["done", "steps", "refused", "unavailable"]
# Why a run stopped adapting: the model said the objective is met, a budget ran out, the
# model's adaptation was refused, or the API failed.
BudgetEnd = Literal["done", "rounds", "tokens", "time", "refused", "unavailable"]


class Budget(BaseModel):
    """How far a run may adapt: rounds (model calls), tokens (input and output, all rounds)
    and wall time in seconds from the first round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rounds: int = Field(default=2, ge=0)
    tokens: int = Field(default=40_000, ge=0)
    seconds: float = Field(default=120.0, ge=0)


class Allowance(BaseModel):
    """The budget and what is left of it for the round about to be asked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    budget: Budget
    round: int
    tokens_left: int
    seconds_left: float


class AdaptationUsage(Metered):
    """What one round of adaptation cost (one call, or none when the budget was spent)."""


class Adaptation(BaseModel):
    """One round's answer: its kind, the model's reason (or what was wrong), the steps added,
    and what it cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AdaptationKind
    reason: str = ""
    steps: tuple[Step, ...] = ()
    usage: AdaptationUsage = AdaptationUsage()


@runtime_checkable
class Adapts(Protocol):
    """A planner that can adapt a plan after a stage of its steps ran."""

    @property
    def adaptation_budget(self) -> Budget: ...

    async def adapt(
        self,
        objective: Objective,
        plan: Plan,
        results: Mapping[str, StepResult],
        allowance: Allowance,
        catalog: Catalog,
    ) -> Adaptation: ...


def adapter(planner: object) -> Adapts | None:
    """The planner's adapting side, if it has one (see :func:`capability`)."""
    adapts: Adapts | None = capability(planner, Adapts)  # type: ignore[type-abstract]
    return adapts


def added_steps(raw: Any, plan: Plan, catalog: Catalog) -> tuple[tuple[Step, ...], str]:
    """The steps an adaptation adds, checked: each a read of the catalog, with an id no step
    of the plan has, fitting the plan so far (its references, no cycle). The steps, or the
    empty tuple and what is wrong, in words the audit and the model can read."""
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        return (), "`steps` must be a non-empty list of steps"
    if len(raw) > MAX_ADDED_STEPS:
        return (), f"at most {MAX_ADDED_STEPS} steps may be added in one round"
    try:
        steps = tuple(Step.model_validate(entry) for entry in raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return (), f"a step does not fit the plan schema: {where}: {first['msg']}"
    names = {op.name: op for op in catalog}
    for step in steps:
        operation = names.get(step.operation)
        if operation is None:
            return (), f"step {step.id!r}: {step.operation!r} is not an operation of the catalog"
        if operation.access != "read":
            return (), (
                f"step {step.id!r}: {step.operation} is a {operation.access}; an adaptation "
                "may add reads only"
            )
    try:
        validate_plan(plan.model_copy(update={"steps": (*plan.steps, *steps)}), catalog)
    except PlanError as exc:
        return (), str(exc)
    return steps, ""


def extended(plan: Plan, steps: Sequence[Step]) -> Plan:
    """The plan with the steps added by adaptation."""
    return plan.model_copy(update={"steps": (*plan.steps, *steps)})

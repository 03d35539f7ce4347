"""What a run's model calls cost: calls, tokens and money, for planning and for writing the
answer.

A planner that calls a model is a :class:`MeteredPlanner`: it returns a
:class:`PlanningUsage` with each result (e.g.
:meth:`~workflows.planning.claude.ClaudePlanner.plan_with_usage`), and the engine records it
in the audit inside the planning step, once, as a replay sees it. Writing the answer
(:mod:`workflows.planning.synthesis`) is metered the same way (:class:`SynthesisUsage`). Each
call's cost comes from the price table (:mod:`workflows.planning.pricing`) when it is made, so
the audit keeps what it cost then; an unknown model's cost is None.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from workflows.catalog import Catalog
from workflows.models import Objective, Principal
from workflows.planning.pricing import cost_usd, total_usd
from workflows.planning.protocol import PlanningResult

# What one reply was: a plan that fit, a plan that did not (sent back with its errors), a
# refusal (the catalog cannot serve the objective), or no call of the plan tool at all; for
# writing the answer, an answer that fit or one that did not (or no answer at all).
# For adapting a plan: the objective is met, steps were added, or what was asked was refused.
CallOutcome = Literal[
    "plan",
    "invalid_plan",
    "declined",
    "no_plan",
    "answer",
    "invalid_answer",
    "done",
    "steps",
    "invalid_adaptation",
]
# Where the answer came from: the model, the plan cache (no call), or the offline planner.
PlanSource = Literal["model", "cache", "offline"]


class ModelCall(BaseModel):
    """One Messages API call: its model, tokens as the API reported them, and outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    stop_reason: str | None = None
    outcome: CallOutcome
    # In US dollars, at the price table's prices when the call was made; None: unknown model.
    cost_usd: Decimal | None = None

    @classmethod
    def of(
        cls, model: str, usage: dict[str, Any], stop_reason: str | None, outcome: CallOutcome
    ) -> ModelCall:
        """From a reply's ``usage`` object (missing or null counts are zero), priced."""
        counts = {name: int(usage.get(name) or 0) for name in _TOKEN_FIELDS}
        call = cls(model=model, stop_reason=stop_reason, outcome=outcome, **counts)
        return call.model_copy(update={"cost_usd": cost_usd(model, call)})


_TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


class Metered(BaseModel):
    """Model calls, with their totals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    calls: tuple[ModelCall, ...] = ()
    repairs: int = 0

    @property
    def model_calls(self) -> int:
        return len(self.calls)

    def total(self, name: str) -> int:
        """The sum of one token count (``input_tokens``, ...) over the calls."""
        if name not in _TOKEN_FIELDS:
            raise ValueError(f"no token count named {name!r}")
        return sum(int(getattr(call, name)) for call in self.calls)

    @property
    def cost_usd(self) -> Decimal | None:
        """What the calls cost, in dollars; None when one call's model has no known price."""
        return total_usd([call.cost_usd for call in self.calls])


class PlanningUsage(Metered):
    """The cost of one planning: every model call, the repairs asked for, and, when the
    offline planner answered instead, the one-line reason (``fallback``)."""

    source: PlanSource
    fallback: str | None = None
    cache_key: str | None = None
    # The model asked for its plan to be reviewed after the steps ran (see
    # :mod:`workflows.planning.adaptation`); a cached plan is not reviewed.
    review_after: bool = False


# "model": the model wrote the answer; "template": the template's answer stands (``fallback``
# says why).
WrittenBy = Literal["model", "template"]


class SynthesisUsage(Metered):
    """The cost of writing one answer: the model calls, the repairs asked for, who wrote the
    answer in the end and, when the template did, the one-line reason (``fallback``)."""

    written_by: WrittenBy
    fallback: str | None = None


class Planned(BaseModel):
    """A planner's answer with what it cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    result: PlanningResult
    usage: PlanningUsage


@runtime_checkable
class MeteredPlanner(Protocol):
    """A planner that says what each planning cost."""

    async def plan_with_usage(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> Planned: ...

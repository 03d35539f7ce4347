"""What planning one objective cost: model calls and tokens, where the plan came from.

A planner that calls a model is a :class:`MeteredPlanner`: it returns a
:class:`PlanningUsage` with each result (e.g.
:meth:`~workflows.planning.claude.ClaudePlanner.plan_with_usage`), and the engine records it
in the audit inside the planning step, once, as a replay sees it.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from workflows.catalog import Catalog
from workflows.models import Objective, Principal
from workflows.planning.protocol import PlanningResult

# What one reply was: a plan that fit, a plan that did not (sent back with its errors), a
# refusal (the catalog cannot serve the objective), or no call of the plan tool at all.
CallOutcome = Literal["plan", "invalid_plan", "declined", "no_plan"]
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

    @classmethod
    def of(
        cls, model: str, usage: dict[str, Any], stop_reason: str | None, outcome: CallOutcome
    ) -> ModelCall:
        """From a reply's ``usage`` object (missing or null counts are zero)."""
        counts = {name: int(usage.get(name) or 0) for name in _TOKEN_FIELDS}
        return cls(model=model, stop_reason=stop_reason, outcome=outcome, **counts)


_TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


class PlanningUsage(BaseModel):
    """The cost of one planning: every model call, the repairs asked for, and, when the
    offline planner answered instead, the one-line reason (``fallback``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: PlanSource
    calls: tuple[ModelCall, ...] = ()
    repairs: int = 0
    fallback: str | None = None
    cache_key: str | None = None

    @property
    def model_calls(self) -> int:
        return len(self.calls)

    def total(self, name: str) -> int:
        """The sum of one token count (``input_tokens``, ...) over the calls."""
        if name not in _TOKEN_FIELDS:
            raise ValueError(f"no token count named {name!r}")
        return sum(int(getattr(call, name)) for call in self.calls)


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

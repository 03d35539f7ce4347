"""Adapting a run to what it found, one durable step a round.

After the plan's steps ran (a stage), a run whose plan asked for a review (``review_after``
in its planning usage) and whose planner adapts (:class:`~workflows.planning.adaptation.Adapts`)
asks, in a DBOS step named ``adapt:N``, whether the objective is met or which reads to add; the
reads added run as the next stage, and the next round asks again, until the model says done,
an adaptation is refused, the API fails, or the budget (rounds, tokens, time from the first
round, on the engine's clock) is spent. Each round's step records it in the audit (its
reason, the steps added, tokens and cost, and, in the last round, why adapting ended) and
returns it, so a replay reads every round back from its checkpoint and asks the model
nothing. A run that wrote, or whose plan asked for no review, has no such step: its DBOS
steps are the same as before adaptation existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dbos import DBOS

from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.clock import Clock
from workflows.models import RunRequest
from workflows.plan import Plan, Step, waves
from workflows.planning.adaptation import (
    Adaptation,
    Adapts,
    Allowance,
    BudgetEnd,
    adapter,
    extended,
)
from workflows.results import StepResult


def review(
    planner: object,
    audit: AuditStore,
    catalog: Catalog,
    clock: Clock,
    planned: Mapping[str, Any],
    *,
    wrote: bool,
) -> Review | None:
    """The run's review, when it has one: a plan that asked for it, planned by a planner that
    adapts, in a run that wrote nothing."""
    adapts = adapter(planner)
    usage = planned.get("usage") or {}
    if adapts is None or wrote or not usage.get("review_after"):
        return None
    if adapts.adaptation_budget.rounds == 0:
        return None
    return Review(adapts, audit, catalog, clock)


@dataclass
class Stage:
    """The steps one round added, in the waves they run in, and the plan with them."""

    plan: Plan
    waves: list[list[Step]]


@dataclass
class Review:
    """The rounds of one run's adaptation, as far as they went (refilled on replay)."""

    adapts: Adapts
    audit: AuditStore
    catalog: Catalog
    clock: Clock
    round: int = 0
    tokens: int = 0
    started: datetime | None = None
    ended: bool = False
    rounds: list[dict[str, Any]] = field(default_factory=list)

    async def next_stage(
        self, request: RunRequest, plan: Plan, results: Mapping[str, StepResult]
    ) -> Stage | None:
        """Ask for the next round; the stage to run, or None when adapting has ended."""
        if self.ended:
            return None
        self.round += 1
        outcome = await DBOS.run_step_async(
            {"name": f"adapt:{self.round}"}, self._round, request, plan, dict(results)
        )
        self.rounds.append(outcome)
        self.tokens = outcome["tokens_total"]
        self.started = datetime.fromisoformat(outcome["started"])
        self.ended = outcome["end"] is not None
        steps = tuple(Step.model_validate(s) for s in outcome["steps"])
        if not steps:
            self.ended = True
            return None
        bigger = extended(plan, steps)
        added = {s.id for s in steps}
        stage = [[bigger.step(i) for i in wave if i in added] for wave in waves(bigger)]
        return Stage(bigger, [wave for wave in stage if wave])

    async def _round(
        self, request: RunRequest, plan: Plan, results: dict[str, StepResult]
    ) -> dict[str, Any]:
        budget = self.adapts.adaptation_budget
        now = self.clock.now()
        started = self.started or now
        elapsed = (now - started).total_seconds()
        end: BudgetEnd | None = None
        if self.round > budget.rounds:
            end = "rounds"
        elif self.tokens >= budget.tokens:
            end = "tokens"
        elif elapsed >= budget.seconds:
            end = "time"
        asked = end is None
        if not asked:
            adaptation = Adaptation(kind="done", reason="")
        else:
            allowance = Allowance(
                budget=budget,
                round=self.round,
                tokens_left=budget.tokens - self.tokens,
                seconds_left=budget.seconds - elapsed,
            )
            adaptation = await self.adapts.adapt(
                request.objective, plan, results, allowance, self.catalog
            )
            end = _end(adaptation, self.round, budget.rounds)
        spent = adaptation.usage.total("input_tokens") + adaptation.usage.total("output_tokens")
        if end is None and self.tokens + spent >= budget.tokens:
            end = "tokens"
        kind = adaptation.kind if asked else "none"
        outcome = {
            "round": self.round,
            "kind": kind,
            "reason": adaptation.reason,
            "steps": [s.model_dump(mode="json") for s in adaptation.steps],
            "usage": adaptation.usage.model_dump(mode="json"),
            "tokens_total": self.tokens + spent,
            "started": started.isoformat(),
            "end": end,
        }
        await self.audit.record(
            request.run_id,
            "adaptation",
            key=f"{request.run_id}:adaptation:{self.round}",
            status=kind,
            detail=outcome,
        )
        return outcome


def _end(adaptation: Adaptation, round_no: int, rounds: int) -> BudgetEnd | None:
    """Why adapting ends with this round, or None when another round may follow."""
    if adaptation.kind == "steps":
        return "rounds" if round_no >= rounds else None
    if adaptation.kind == "done":
        return "done"
    return adaptation.kind

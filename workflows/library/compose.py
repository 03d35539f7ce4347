"""The composer contract: step results in, an answer out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from workflows.answers import RunAnswer
from workflows.approvals import Approval
from workflows.plan import Plan
from workflows.results import Compensation, StepResult


@dataclass(frozen=True)
class ComposeInput:
    """Everything a composer may read: a composer is a pure function of this."""

    run_id: str
    plan: Plan
    results: Mapping[str, StepResult]
    system_labels: Mapping[str, str]
    now: datetime
    # The approvals the run's writes went through (by step id), and what was undone after a
    # write failed for good.
    approvals: Mapping[str, Approval] = field(default_factory=dict)
    compensations: tuple[Compensation, ...] = ()
    write_steps: frozenset[str] = frozenset()

    def label(self, system: str) -> str:
        return self.system_labels.get(system, system)


Composer = Callable[[ComposeInput], RunAnswer]

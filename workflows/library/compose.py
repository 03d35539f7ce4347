"""The composer contract: step results in, an answer out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from workflows.answers import Briefing, Notice
from workflows.plan import Plan
from workflows.results import StepResult


@dataclass(frozen=True)
class ComposeInput:
    """Everything a composer may read: a composer is a pure function of this."""

    run_id: str
    plan: Plan
    results: Mapping[str, StepResult]
    system_labels: Mapping[str, str]
    now: datetime

    def label(self, system: str) -> str:
        return self.system_labels.get(system, system)


Composer = Callable[[ComposeInput], Briefing | Notice]

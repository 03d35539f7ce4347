"""Tracking which systems a run has heard from, for the requester's progress display."""

from __future__ import annotations

from workflows.catalog import Catalog
from workflows.plan import Plan
from workflows.ports import Progress, StepState, SystemProgress


class ProgressTracker:
    """The state of each system a plan reads; a system is as far along as its slowest step."""

    def __init__(
        self, plan: Plan, catalog: Catalog, *, hidden: frozenset[str], note: str = ""
    ) -> None:
        self._subject = plan.subject
        self._note = note
        self._labels = {s: catalog.label(s) for s in plan.systems(catalog) if s not in hidden}
        self._system_of = {s.id: catalog.get(s.operation).system for s in plan.steps}
        self._states: dict[str, StepState] = {}

    def mark(self, step_id: str, state: StepState) -> None:
        self._states[step_id] = state

    def snapshot(self) -> Progress:
        systems = tuple(
            SystemProgress(system=system, label=label, state=self._system_state(system))
            for system, label in self._labels.items()
        )
        return Progress(subject=self._subject, systems=systems, note=self._note)

    def _system_state(self, system: str) -> StepState:
        states = [
            self._states.get(step_id, "waiting")
            for step_id, owner in self._system_of.items()
            if owner == system
        ]
        pending: tuple[StepState, ...] = ("failed", "running", "waiting")
        for state in pending:
            if state in states:
                return state
        return "skipped" if states and all(s == "skipped" for s in states) else "ok"

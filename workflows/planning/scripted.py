"""A planner that answers from a script: the test double that ships with the package."""

from __future__ import annotations

from collections.abc import Mapping

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.models import Objective, Principal
from workflows.planning.protocol import PlanningResult


class ScriptedPlanner:
    """Returns the scripted result for an objective's text; unknown text gets a help notice."""

    name = "scripted"

    def __init__(self, script: Mapping[str, PlanningResult]) -> None:
        self._script = dict(script)
        self.seen: list[Objective] = []

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult:
        self.seen.append(objective)
        return self._script.get(
            objective.text,
            Notice(reason="help", title="Not scripted", text=f"No plan for {objective.text!r}."),
        )

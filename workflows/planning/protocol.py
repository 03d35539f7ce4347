"""The planner contract."""

from __future__ import annotations

from typing import Protocol

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.models import Objective, Principal
from workflows.plan import Plan

PlanningResult = Plan | Notice


class Planner(Protocol):
    """Turns an objective into a plan, or into a notice when there is nothing to run.

    The plan it returns is validated against the catalog by the engine before anything runs,
    so a planner may be wrong but never unsafe. ``requester`` is who asked (a plan may act
    for them: "my accounts", "my prospects").
    """

    name: str

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult: ...

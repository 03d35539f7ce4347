"""The planner contract, and how the engine finds what else a planner can do."""

from __future__ import annotations

from typing import Protocol, TypeVar

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.models import Objective, Principal
from workflows.plan import Plan

PlanningResult = Plan | Notice
C = TypeVar("C")


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


def capability(planner: object, kind: type[C]) -> C | None:
    """``planner`` as a ``kind`` (a runtime-checkable protocol such as
    :class:`~workflows.planning.adaptation.Adapts`), or None when it has no such side. A planner
    that wraps another (its ``inner``: the access check around the Claude planner) can do what
    the one it wraps can do. (mypy takes a protocol for an abstract class here: callers say
    ``# type: ignore[type-abstract]``, python/mypy#4717.)"""
    seen: set[int] = set()
    while planner is not None and id(planner) not in seen:
        seen.add(id(planner))
        if isinstance(planner, kind):
            return planner
        planner = getattr(planner, "inner", None)
    return None

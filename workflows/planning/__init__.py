"""Planners turn an objective into a plan over the catalog.

:class:`Planner` is the protocol; :class:`OfflinePlanner` needs no model and understands the
built-in workflows; :class:`ScriptedPlanner` answers from a script (tests, drills).
"""

from workflows.planning.offline import OfflinePlanner
from workflows.planning.protocol import Planner, PlanningResult
from workflows.planning.scripted import ScriptedPlanner

__all__ = ["OfflinePlanner", "Planner", "PlanningResult", "ScriptedPlanner"]

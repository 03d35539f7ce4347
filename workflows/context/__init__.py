"""The context builder: for a customer and an objective, what each system knows, in one typed
context within a size budget, for the planner and the answer writer.

    context = build_context(objective, requester, plan, results, labels, precedence,
                            budget=Budget.tokens(8_000))
    context.systems      # per system: its record of the customer, the facts its steps read
    context.settled      # fields two systems hold, settled by precedence, with who disagrees
    context.dropped      # what did not fit the budget, counted by system

Facts are ranked by how much they bear on the objective (:mod:`workflows.context.rank`);
the fields systems disagree on are settled by :mod:`workflows.library.precedence`.
"""

from workflows.context.build import Sight, build_context, disagreements
from workflows.context.models import (
    Budget,
    ContextFact,
    Dropped,
    EntityContext,
    EntityRef,
    Gap,
    Reported,
    SettledField,
    SystemRecords,
)
from workflows.context.settle import in_words

__all__ = [
    "Budget",
    "ContextFact",
    "Dropped",
    "EntityContext",
    "EntityRef",
    "Gap",
    "Reported",
    "SettledField",
    "Sight",
    "SystemRecords",
    "build_context",
    "disagreements",
    "in_words",
]

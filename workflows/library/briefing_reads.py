"""Where a briefing finds what each system said: by the operation a step ran and that
operation's output model, never by the step's id.

A plan a model wrote names its steps as it likes (``resolve``, ``crm_read``…); what makes a
step the CRM read is that it ran ``crm.get_account``, whose output is a
:class:`~workflows.domain.CrmLookup`. The section builders and the "watch out for" rules read
through here, so any plan with these operations gives the same briefing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeVar

from pydantic import BaseModel

from workflows.domain import (
    AccountResolution,
    ContractLookup,
    CrmLookup,
    EmailThreads,
    Invoices,
    Tickets,
    UsageLookup,
)
from workflows.library.compose import ComposeInput
from workflows.results import StepResult

M = TypeVar("M", bound=BaseModel)

RESOLVE_OPERATION: Final = "directory.resolve_account"


@dataclass(frozen=True)
class SystemRead:
    """One system's read in a briefing: the operation, what it returns, and the title of
    its step in the built-in plan."""

    system: str
    operation: str
    model: type[BaseModel]
    title: str


SYSTEM_READS: Final[tuple[SystemRead, ...]] = (
    SystemRead("crm", "crm.get_account", CrmLookup, "Account, owner, open deals"),
    SystemRead("email", "email.recent_threads", EmailThreads, "Latest email threads"),
    SystemRead("support", "support.open_tickets", Tickets, "Open support tickets"),
    SystemRead("contracts", "contracts.get_contract", ContractLookup, "Contract terms"),
    SystemRead("usage", "usage.get_trend", UsageLookup, "Product usage trend"),
    SystemRead("billing", "billing.list_invoices", Invoices, "Invoices"),
)
OPERATIONS: Final[dict[type[BaseModel], str]] = {
    AccountResolution: RESOLVE_OPERATION,
    **{read.model: read.operation for read in SYSTEM_READS},
}


def result_of(data: ComposeInput, operation: str) -> StepResult | None:
    """The outcome of the plan's step that ran ``operation`` once: the first such step that
    answered, else the first that did not (failed or skipped); None when no step ran it.

    A fan-out's outcome (a list, one output per item) is not one read, so it is passed over."""
    outcomes = [
        result
        for step in data.plan.steps
        if step.operation == operation
        and (result := data.results.get(step.id)) is not None
        and not (result.ok and not isinstance(result.output, dict))
    ]
    return next((r for r in outcomes if r.ok), outcomes[0] if outcomes else None)


def read(data: ComposeInput, model: type[M]) -> M | None:
    """The output of the step that produced a ``model`` (see :func:`result_of`), or None
    when that step failed, was skipped or is not in the plan."""
    result = result_of(data, OPERATIONS[model])
    if result is None or not result.ok:
        return None
    return model.model_validate(result.output)


__all__ = ["OPERATIONS", "RESOLVE_OPERATION", "SYSTEM_READS", "SystemRead", "read", "result_of"]

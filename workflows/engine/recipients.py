"""Who an outgoing message may go to: people the systems already know, or nobody.

An email a run sends may go only to an employee, or to someone the company's systems already
associate with the customer account the email is about (the call's ``account_id``): a CRM
contact of that account, or a participant in its mail threads whose address is on the
account's domain or one of its contacts' domains. Anyone else (an address named in an email,
a ticket or a document, a competitor copied on a thread) is refused for good, before any
approval is asked: an approver cannot click it through, and no policy file can lift it.

This is authorization, not approval, so it lives at the engine's action boundary (which every
write of every connector passes, before the policy is asked), and not in the policy (whose
rules decide who approves, and which an approval overrides) or in each connector's write
(which runs after the approval, and only for that connector). Who is associated with an
account comes from an :class:`Audience` the connectors implement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Protocol

from pydantic import BaseModel, ConfigDict

from workflows.audit import AuditStore
from workflows.catalog import AnyOperation
from workflows.models import RunRequest
from workflows.plan import Step
from workflows.ports import People
from workflows.results import StepResult

RECIPIENT_RULE: Final = "known-recipients"
# The writes that send something to people, and the arguments that name them.
SENDS: Final[dict[str, tuple[str, ...]]] = {"email.send": ("to", "cc", "bcc")}


class Audience(Protocol):
    """Who the company's systems associate with a customer account."""

    async def associated_with(self, account_id: str) -> frozenset[str]:
        """The account's CRM contacts and its mail threads' participants on known domains
        (the account's and its contacts'), lower case; empty for an unknown account."""


class Refusal(BaseModel):
    """A send refused: to whom, and why (in words the requester and the audit read)."""

    model_config = ConfigDict(frozen=True)

    recipients: tuple[str, ...]
    reason: str


async def unknown_recipients(
    operation: str,
    calls: list[dict[str, Any]],
    people: People,
    audience: Audience | None,
) -> Refusal | None:
    """A refusal naming every recipient of ``calls`` nobody knows, or None when all are
    known (or ``operation`` sends nothing). Without an ``audience`` only employees are
    known."""
    fields = SENDS.get(operation)
    if fields is None:
        return None
    known: dict[str, frozenset[str]] = {}
    refused: list[str] = []
    for call in calls:
        account = call.get("account_id")
        for address in _addresses(call, fields):
            if people.find_employee(address) is not None:
                continue
            if not isinstance(account, str) or audience is None:
                refused.append(address)
                continue
            if account not in known:
                known[account] = await audience.associated_with(account)
            if address.strip().lower() not in known[account]:
                refused.append(address)
    return _refusal(_unique(refused)) if refused else None


async def record_refusal(
    audit: AuditStore, request: RunRequest, step_id: str, operation: AnyOperation, refusal: Refusal
) -> None:
    """Audit the refusal as the policy decision of the step (status ``refused``)."""
    await audit.record(
        request.run_id,
        "policy",
        key=f"{request.run_id}:policy:{step_id}",
        step_id=step_id,
        operation=operation.name,
        system=operation.system,
        status="refused",
        detail={
            "step_id": step_id,
            "operation": operation.name,
            "rule": RECIPIENT_RULE,
            "required": False,
            "refused": list(refusal.recipients),
            "why": refusal.reason,
        },
    )


def refused_result(request: RunRequest, step: Step, system: str, reason: str | None) -> StepResult:
    """The outcome of a step refused at the boundary: failed for good, nothing called."""
    return StepResult(
        step_id=step.id,
        operation=step.operation,
        system=system,
        status="failed",
        error=reason,
        failure="permanent",
        started_at=request.objective.received_at,
    )


def _addresses(call: dict[str, Any], fields: Iterable[str]) -> list[str]:
    found: list[str] = []
    for name in fields:
        value = call.get(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list | tuple):
            found.extend(v for v in value if isinstance(v, str))
    return found


def _unique(addresses: list[str]) -> tuple[str, ...]:
    """Each address once (ignoring case), as first written."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address.strip())
    return tuple(seen.values())


def _refusal(addresses: tuple[str, ...]) -> Refusal:
    who = ", ".join(addresses)
    many = len(addresses) > 1
    return Refusal(
        recipients=addresses,
        reason=f"Not sent: {who} {'are' if many else 'is'} not an employee or a known "
        "contact of the customer this email is about, so nothing was sent and no approval "
        "was asked.",
    )

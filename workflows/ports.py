"""Ports the core calls out through; the edge implements them.

A :class:`RunReporter` shows a run to the person who asked (a Slack thread, a terminal). Its
calls are made from inside durable steps: ``started`` and ``finished`` are checkpointed (a
replay does not repeat them once they returned), ``progress`` is best effort. A
:class:`CustomerFinder` tells a planner which customers a message names. An
:class:`ApprovalNotifier` shows approvals to the people who decide them; :class:`People` says
who is who at the company (managers, account owners) for the approval policy.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from workflows.answers import RunAnswer
from workflows.approvals.models import Approval, MessageRef
from workflows.domain import AccountRef, CustomerMention, Employee
from workflows.models import RunRequest

StepState = Literal["waiting", "running", "ok", "empty", "failed", "skipped"]


class SystemProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    system: str
    label: str
    state: StepState


class Progress(BaseModel):
    """Where a run stands: its subject and the state of each system it reads."""

    model_config = ConfigDict(frozen=True)

    subject: str
    systems: tuple[SystemProgress, ...]
    # A line for the requester about how the run was planned ("Planned offline: …").
    note: str = ""

    @property
    def finished(self) -> int:
        return sum(1 for s in self.systems if s.state not in ("waiting", "running"))


class RunReporter(Protocol):
    async def started(self, request: RunRequest, progress: Progress) -> str | None:
        """Tell the requester work has begun; return a handle to edit later (a message ts).

        Raises :class:`~workflows.errors.DeliveryError` if the requester cannot be reached."""

    async def progress(self, request: RunRequest, handle: str | None, progress: Progress) -> None:
        """Show progress; may coalesce or drop updates, never raises for a display problem."""

    async def finished(self, request: RunRequest, handle: str | None, answer: RunAnswer) -> None:
        """Deliver the answer; raise :class:`~workflows.errors.DeliveryError` if it cannot."""


class CustomerFinder(Protocol):
    """Finds the customers a message names; the identity directory implements it.

    Lookups are in memory (no system is called), so a planner may call them freely.
    """

    def find_in(self, text: str) -> list[CustomerMention]:
        """Every customer named in ``text``, in text order. Two mentions with the same span
        and different accounts mean the words fit several customers equally well."""

    def close_to(self, name: str) -> list[AccountRef]:
        """Customers whose names are plausibly what ``name`` meant (at most three), or none."""


class People(Protocol):
    """The company's people as the approval policy needs them; the identity directory
    implements it. Lookups are in memory."""

    def find_employee(self, email: str) -> Employee | None:
        """The employee with this email (any case), or None."""

    def manager_of(self, email: str) -> Employee | None:
        """The employee's manager, or None at the top (or for someone unknown)."""

    def account_owner(self, account_id: str) -> Employee | None:
        """Who owns the customer account in the CRM, or None."""


class ApprovalNotifier(Protocol):
    """Shows approvals where approvers will see them and tells the requester where theirs
    stands. Called from inside durable steps; each call is retried on a transient
    :class:`~workflows.errors.DeliveryError`, so each must be safe to repeat (find what it
    posted before, by message metadata, rather than posting twice)."""

    async def requested(self, approval: Approval, request: RunRequest) -> tuple[MessageRef, ...]:
        """Post the approval to each approver (or the approvals channel) and note in the
        requester's thread that it waits, for whom, until when. Returns the posted copies."""

    async def escalated(
        self, approval: Approval, request: RunRequest, added: tuple[str, ...]
    ) -> tuple[MessageRef, ...]:
        """The approval now also waits for ``added`` (emails): post it to them, note it in
        the requester's thread. Returns the new copies."""

    async def settled(self, approval: Approval, request: RunRequest) -> None:
        """The approval was decided or expired: update every copy (who, when, no buttons) and
        tell the requester."""

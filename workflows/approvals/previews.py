"""Where a plan preview's Run or Cancel becomes a decision: only the requester may take it.

A plan preview is an :class:`~workflows.approvals.Approval` row (``prv-`` id, rule
``plan-preview``) that its requester decides: Run approves it, Cancel rejects it. The press
is a compare-and-set on the row, as an approver's click is, so a double press, a press from a
second device or a press racing the expiry decides once; every press that decides nothing is
answered in one sentence and audited, a press by anyone else too. The approvals desk's sweep
expires a preview past its time (never escalating it), and an expired preview is cancelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from workflows.approvals.desk import ApprovalDesk, DeskAnswer, when
from workflows.approvals.models import Approval, approval_topic
from workflows.domain import Employee

PreviewChoice = Literal["run", "cancel"]
STARTED = "Started: the run carries on now."
CANCELLED = "Cancelled, nothing was done."
UNKNOWN = "I can't find that plan. It may belong to another workspace or be gone."


class PreviewDesk:
    """Run and Cancel on plan previews, with the approvals desk's store, directory, audit,
    clock and wake-up."""

    def __init__(self, desk: ApprovalDesk) -> None:
        self.desk = desk

    async def press(self, preview_id: str, clicker_email: str, choice: PreviewChoice) -> DeskAnswer:
        """Run or cancel the previewed plan, if ``clicker_email`` asked for it and it still
        waits; else why not."""
        desk = self.desk
        preview = await desk.store.get(preview_id)
        if preview is None or not preview.is_preview:
            return DeskAnswer("unknown", UNKNOWN)
        clicker = desk.people.find_employee(clicker_email)
        if clicker is None or clicker.email.lower() != preview.requester_email.lower():
            why = f"Only {preview.requester_name} can run or cancel this plan: it is theirs."
            await self._audit(preview, "refused", clicker, clicker_email, why=why)
            return DeskAnswer("not_allowed", why, preview)
        if not preview.open or preview.expires_at <= desk.clock.now():
            return await self._lost(preview, clicker)
        won, row = await desk.store.decide(
            preview.id,
            status="approved" if choice == "run" else "rejected",
            by_email=clicker.email,
            by_name=clicker.name,
            at=desk.clock.now(),
            reason=None if choice == "run" else "Cancelled by the requester",
            approved=preview.items if choice == "run" else (),
            approved_fingerprint=preview.fingerprint if choice == "run" else None,
        )
        if not won:
            return await self._lost(row, clicker)
        outcome = "run" if choice == "run" else "cancelled"
        await self._audit(row, outcome, clicker, clicker.email)
        message = {"wake": "decided", "approval_id": row.id}
        await desk.wake(row.run_id, message, approval_topic(row.id), f"{row.id}:decided")
        return DeskAnswer("decided", STARTED if choice == "run" else CANCELLED, row)

    def answer_for(self, preview: Approval) -> str:
        """Where ``preview`` stands, as one sentence for someone who presses it now."""
        now = self.desk.clock.now()
        by = preview.decided_by_name or preview.decided_by or "someone"
        at = when(preview.decided_at or now, now)
        match preview.status:
            case "approved":
                return f"Already started by {by} at {at}."
            case "rejected":
                return f"Already cancelled by {by} at {at}; nothing was done."
            case "expired":
                return expired_text(preview, now)
            case "pending":
                if preview.expires_at <= now:
                    return expired_text(preview, now)
                return f"This plan waits for Run or Cancel until {when(preview.expires_at, now)}."

    async def _lost(self, row: Approval, clicker: Employee) -> DeskAnswer:
        text = self.answer_for(row)
        await self._audit(row, "already_decided", clicker, clicker.email, why=text)
        decided = row.status in ("approved", "rejected")
        return DeskAnswer("already_decided" if decided else "expired", text, row)

    async def _audit(
        self,
        preview: Approval,
        outcome: str,
        by: Employee | None,
        email: str,
        *,
        why: str | None = None,
    ) -> None:
        at = self.desk.clock.now()
        final = outcome in ("run", "cancelled")
        tail = "" if final else f":{email}:{at.isoformat()}"
        await self.desk.audit.record(
            preview.run_id,
            "preview",
            key=f"{preview.run_id}:preview:{preview.id}:{outcome}{tail}",
            status=outcome,
            detail={
                "preview_id": preview.id,
                "outcome": outcome,
                "by": by.email if by is not None else email,
                "by_name": by.name if by is not None else "",
                "at": at.isoformat(),
                "why": why,
            },
        )


def expired_text(preview: Approval, now: datetime) -> str:
    """What is said of a preview nobody ran in time."""
    until = when(preview.expires_at, now)
    return f"Nobody pressed Run by {until}, so the plan was cancelled; nothing was done."

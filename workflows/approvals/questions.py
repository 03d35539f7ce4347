"""Where a clarifying question's answer becomes a decision: only the requester may take it.

A question (:mod:`workflows.engine.clarify`) is a row of the approvals store that its
requester decides: choosing a customer approves it with that one choice, "None of these"
rejects it. The press is a compare-and-set on the row, so a second press, a press from a
second device or a press racing the expiry decides once; every press that decides nothing is
answered in one sentence and audited, a press by anyone else too.
"""

from __future__ import annotations

from workflows.approvals.desk import ApprovalDesk, DeskAnswer, when
from workflows.approvals.models import Approval, approval_topic
from workflows.domain import Employee

UNKNOWN = "I can't find that question. It may belong to another workspace or be gone."
QUESTION_OPERATION = "plan.clarify"


class QuestionDesk:
    """Answers to clarifying questions, with the approvals desk's store, directory, audit,
    clock and wake-up."""

    def __init__(self, desk: ApprovalDesk) -> None:
        self.desk = desk

    async def answer(self, question_id: str, clicker_email: str, choice: int | None) -> DeskAnswer:
        """Take ``choice`` (an index into the question's choices; None: none of these) if
        ``clicker_email`` asked and the question still waits; else why not."""
        desk = self.desk
        question = await desk.store.get(question_id)
        if question is None or question.operation != QUESTION_OPERATION:
            return DeskAnswer("unknown", UNKNOWN)
        if choice is not None and not 0 <= choice < len(question.items):
            return DeskAnswer("unknown", UNKNOWN)
        clicker = desk.people.find_employee(clicker_email)
        if clicker is None or clicker.email.lower() != question.requester_email.lower():
            why = f"Only {question.requester_name} can answer this question: they asked it."
            await self._audit(question, "refused", clicker, clicker_email, why=why)
            return DeskAnswer("not_allowed", why, question)
        if not question.open or question.expires_at <= desk.clock.now():
            return await self._lost(question, clicker)
        chosen = (question.items[choice],) if choice is not None else ()
        won, row = await desk.store.decide(
            question.id,
            status="approved" if chosen else "rejected",
            by_email=clicker.email,
            by_name=clicker.name,
            at=desk.clock.now(),
            reason=None if chosen else "None of these",
            approved=chosen,
            approved_fingerprint=question.fingerprint if chosen else None,
        )
        if not won:
            return await self._lost(row, clicker)
        outcome = "answered" if chosen else "none"
        await self._audit(row, outcome, clicker, clicker.email, choice=chosen)
        message = {"wake": "decided", "approval_id": row.id}
        await desk.wake(row.run_id, message, approval_topic(row.id), f"{row.id}:decided")
        text = f"Briefing you on {chosen[0].summary}." if chosen else "Nothing was done."
        return DeskAnswer("decided", text, row)

    def answer_for(self, question: Approval) -> str:
        """Where ``question`` stands, as one sentence for someone who presses it now."""
        now = self.desk.clock.now()
        at = when(question.decided_at or now, now)
        if question.status == "approved" and question.approved:
            return f"Already answered at {at}: {question.approved[0].summary}."
        if question.status == "rejected":
            return f"Already answered at {at}: none of these; nothing was done."
        if question.status == "expired" or question.expires_at <= now:
            return "No answer in time, so nothing was done."
        return f"This question waits for an answer until {when(question.expires_at, now)}."

    async def _lost(self, row: Approval, clicker: Employee) -> DeskAnswer:
        text = self.answer_for(row)
        await self._audit(row, "already_answered", clicker, clicker.email, why=text)
        decided = row.status in ("approved", "rejected")
        return DeskAnswer("already_decided" if decided else "expired", text, row)

    async def _audit(
        self,
        question: Approval,
        outcome: str,
        by: Employee | None,
        email: str,
        *,
        why: str | None = None,
        choice: tuple[object, ...] = (),
    ) -> None:
        at = self.desk.clock.now()
        final = outcome in ("answered", "none")
        tail = "" if final else f":{email}:{at.isoformat()}"
        chosen = [getattr(c, "summary", "") for c in choice]
        await self.desk.audit.record(
            question.run_id,
            "question",
            key=f"{question.run_id}:question:{question.id}:{outcome}{tail}",
            status=outcome,
            detail={
                "question_id": question.id,
                "outcome": outcome,
                "answer": chosen[0] if chosen else None,
                "by": by.email if by is not None else email,
                "by_name": by.name if by is not None else "",
                "at": at.isoformat(),
                "why": why,
            },
        )

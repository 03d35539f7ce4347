"""The approvals desk: where a click becomes a decision, and where time runs out.

Any process may take a click (:meth:`ApprovalDesk.decide`): the clicker is checked against the
policy and the live directory at that moment, the decision is a compare-and-set on the stored
row (the first valid one wins), every outcome is audited, refusals included, and only the
winner wakes the waiting run. :meth:`ApprovalDesk.sweep` (run periodically by ``crosswire
serve``) escalates approvals past their expiry once to the approvers' managers and expires
those already escalated; several replicas may sweep at once, since the store decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from workflows.approvals.models import Approval, ApprovalItem, Wake, approval_topic, fingerprint
from workflows.approvals.policy import ApprovalPolicy, names_of
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.clock import Clock
from workflows.domain import Employee
from workflows.ports import People

DeskOutcome = Literal["decided", "already_decided", "not_allowed", "expired", "unknown"]
Verdict = Literal["approve", "reject"]
# wake(run_id, message, topic, idempotency_key): DBOS.send_async in production.
WakeRun = Callable[[str, dict[str, Any], str, str], Awaitable[None]]


@dataclass(frozen=True)
class DeskAnswer:
    """What came of a click, and one polite sentence for the person who clicked."""

    outcome: DeskOutcome
    text: str
    approval: Approval | None = None


class ApprovalDesk:
    """Decisions, escalations and expiries of approvals (see the module docstring)."""

    def __init__(
        self,
        store: ApprovalStore,
        policy: ApprovalPolicy,
        people: People,
        audit: AuditStore,
        clock: Clock,
        ttl: timedelta,
        wake: WakeRun,
    ) -> None:
        self.store = store
        self.policy = policy
        self.people = people
        self.audit = audit
        self.clock = clock
        self.ttl = ttl
        self.wake = wake

    async def decide(
        self,
        approval_id: str,
        clicker_email: str,
        verdict: Verdict,
        *,
        items: tuple[ApprovalItem, ...] | None = None,
        reason: str | None = None,
    ) -> DeskAnswer:
        """Approve (all items, a subset, or edited items) or reject, if the clicker may."""
        checked = await self._checked(approval_id, clicker_email)
        if isinstance(checked, DeskAnswer):
            return checked
        approval, clicker = checked
        chosen = approval.items if items is None else _chosen(approval, items)
        if isinstance(chosen, str):
            return await self._refuse(approval, clicker_email, chosen, clicker)
        if verdict == "approve" and not chosen:
            verdict, reason = "reject", reason or "Every item was skipped"
        approved = chosen if verdict == "approve" else ()
        won, row = await self.store.decide(
            approval.id,
            status="approved" if verdict == "approve" else "rejected",
            by_email=clicker.email,
            by_name=clicker.name,
            at=self.clock.now(),
            reason=(reason or "").strip() or None,
            approved=approved,
            approved_fingerprint=_fingerprint_of(approval, approved),
        )
        if not won:
            return await self._lost(row, clicker)
        await self._audit(row, row.status, clicker, reason=row.reason, items=len(row.approved))
        await self._wake(row, "decided", f"{row.id}:decided")
        return DeskAnswer("decided", decided_text(row), row)

    async def escalate_now(self, approval_id: str, clicker_email: str) -> DeskAnswer:
        """An approver's Escalate button: ask the approvers' managers too, with a fresh TTL."""
        checked = await self._checked(approval_id, clicker_email)
        if isinstance(checked, DeskAnswer):
            return checked
        approval, clicker = checked
        added = self.policy.escalation(approval, self.people)
        if not added:
            why = "There is nobody above the approvers to escalate this to."
            return await self._refuse(approval, clicker.email, why, clicker)
        row = await self._escalate(approval, added, by=clicker)
        if row is None:
            current = await self.store.get(approval.id)
            assert current is not None
            return await self._lost(current, clicker)
        until = when(row.expires_at, self.clock.now())
        text = f"Asked {names_of(added, self.people)} too, until {until}."
        return DeskAnswer("decided", text, row)

    async def sweep(self) -> int:
        """Escalate or expire every approval past its expiry; how many this call changed."""
        now = self.clock.now()
        handled = 0
        for approval in await self.store.due(now):
            # A plan preview is the requester's own choice: nobody else is asked, it expires.
            first = approval.level == 0 and not approval.is_preview
            added = self.policy.escalation(approval, self.people) if first else ()
            if added:
                handled += await self._escalate(approval, added, by=None) is not None
                continue
            won, row = await self.store.expire(approval.id, at=now)
            if won:
                await self._audit(row, "expired", None, items=0)
                await self._wake(row, "expired", f"{row.id}:expired")
                handled += 1
        return handled

    def answer_for(self, approval: Approval) -> str:
        """Where ``approval`` stands, as one sentence for someone who clicks on it now."""
        now = self.clock.now()
        match approval.status:
            case "approved" | "rejected":
                by = approval.decided_by_name or approval.decided_by or "someone"
                at = when(approval.decided_at or now, now)
                return f"Already {approval.status} by {by} at {at}."
            case "expired":
                return _expired_text(approval, now)
            case "pending":
                if approval.expires_at <= now:
                    return _expired_text(approval, now)
                who = names_of(approval.approvers, self.people)
                return f"This waits for {who} until {when(approval.expires_at, now)}."

    # ------------------------------------------------------------------ steps

    async def _checked(
        self, approval_id: str, clicker_email: str
    ) -> tuple[Approval, Employee] | DeskAnswer:
        """The approval and the clicker, if the clicker may decide it now; else the answer."""
        approval = await self.store.get(approval_id)
        if approval is None:
            text = "I can't find that approval. It may belong to another workspace or be gone."
            return DeskAnswer("unknown", text)
        clicker = self.people.find_employee(clicker_email)
        if clicker is None:
            why = "I can't find you in the company directory, so I can't take your decision."
            return await self._refuse(approval, clicker_email, why, None)
        refusal = self.policy.may_decide(approval, clicker.email, self.people)
        if refusal is not None:
            return await self._refuse(approval, clicker.email, refusal, clicker)
        if not approval.open:
            return await self._lost(approval, clicker)
        if approval.expires_at <= self.clock.now():
            return await self._too_late(approval, clicker)
        return approval, clicker

    async def _escalate(
        self, approval: Approval, added: tuple[str, ...], *, by: Employee | None
    ) -> Approval | None:
        now = self.clock.now()
        won, row = await self.store.escalate(
            approval.id, from_level=approval.level, added=added, expires_at=now + self.ttl, at=now
        )
        if not won:
            return None
        await self._audit(row, "escalated", by, items=len(row.items), to=list(added))
        await self._wake(row, "escalated", f"{row.id}:escalated:{approval.level}")
        return row

    async def _lost(self, row: Approval, clicker: Employee) -> DeskAnswer:
        """Someone else decided first, or time ran out first."""
        if row.open or row.status == "expired":
            return await self._too_late(row, clicker)
        await self._audit(row, "already_decided", clicker, items=0)
        return DeskAnswer("already_decided", self.answer_for(row), row)

    async def _too_late(self, row: Approval, clicker: Employee) -> DeskAnswer:
        text = self.answer_for(row)
        await self._audit(row, "refused", clicker, items=0, why=text)
        return DeskAnswer("expired", text, row)

    async def _refuse(
        self, approval: Approval, email: str, why: str, clicker: Employee | None
    ) -> DeskAnswer:
        await self._audit(approval, "refused", clicker, email=email, items=0, why=why)
        return DeskAnswer("not_allowed", why, approval)

    async def _wake(self, row: Approval, wake: Wake, key: str) -> None:
        message = {"wake": wake, "approval_id": row.id}
        await self.wake(row.run_id, message, approval_topic(row.id), key)

    async def _audit(
        self,
        approval: Approval,
        outcome: str,
        by: Employee | None,
        *,
        email: str | None = None,
        items: int,
        reason: str | None = None,
        **extra: Any,
    ) -> None:
        at = self.clock.now()
        who = by.email if by is not None else (email or "")
        detail = {
            "approval_id": approval.id,
            "outcome": outcome,
            "by": who,
            "by_name": by.name if by is not None else "",
            "at": at.isoformat(),
            "reason": reason,
            "level": approval.level,
            "items": items,
            **extra,
        }
        final = outcome in ("approved", "rejected", "expired", "escalated")
        tail = f"{approval.level}" if final else f"{who}:{at.isoformat()}"
        key = f"{approval.run_id}:approval:{approval.id}:{outcome}:{tail}"
        await self.audit.record(
            approval.run_id,
            "approval",
            key=key,
            detail=detail,
            step_id=approval.step_id,
            operation=approval.operation,
            system=approval.system,
            status=outcome,
        )


def decided_text(approval: Approval) -> str:
    """What the person who decided is told."""
    if approval.status == "rejected":
        return "Rejected. Nothing will be sent, and the requester will be told."
    count, asked = len(approval.approved), len(approval.items)
    part = (
        f"{count} of {asked} items" if count != asked else f"all {asked} item" + "s" * (asked != 1)
    )
    return f"Approved {part}; the run carries on now."


def _expired_text(approval: Approval, now: datetime) -> str:
    return f"This approval expired at {when(approval.expires_at, now)}; nothing was sent."


def when(at: datetime, now: datetime) -> str:
    """A moment as a clicker reads it: "14:02 UTC", with the day when it is not today."""
    utc_at = at.astimezone(UTC) if at.tzinfo else at
    stamp = f"{utc_at:%H:%M} UTC"
    return (
        stamp if utc_at.date() == now.astimezone(UTC).date() else f"{stamp} on {utc_at:%-d %b %Y}"
    )


def _fingerprint_of(approval: Approval, approved: tuple[ApprovalItem, ...]) -> str | None:
    if not approved:
        return None
    if approved == approval.items:
        return approval.fingerprint
    return fingerprint(approval.operation, approved)


def _chosen(approval: Approval, items: tuple[ApprovalItem, ...]) -> tuple[ApprovalItem, ...] | str:
    """The items to approve as asked, each checked against the original: an item the
    approval does not have, or a change to an argument that is not editable, is refused."""
    originals = {item.index: item for item in approval.items}
    chosen: list[ApprovalItem] = []
    for item in sorted(items, key=lambda i: i.index):
        original = originals.get(item.index)
        if original is None or any(c.index == item.index for c in chosen):
            return f"Item {item.index + 1} is not part of this request; please reopen it."
        problem = _edit_problem(original, item.args)
        if problem is not None:
            return problem
        chosen.append(original.model_copy(update={"args": dict(item.args)}))
    return tuple(chosen)


def _edit_problem(original: ApprovalItem, args: dict[str, Any]) -> str | None:
    changed = sorted(
        key
        for key in original.args.keys() | args.keys()
        if original.args.get(key) != args.get(key) or (key in args) != (key in original.args)
    )
    fixed = [key for key in changed if key not in original.editable]
    if fixed:
        allowed = " and ".join(original.editable) or "nothing"
        return (
            f"{', '.join(fixed)} of item {original.index + 1} cannot be changed "
            f"(only {allowed} can be edited)."
        )
    if any(not isinstance(args.get(key), str) for key in changed):
        return f"Edits to item {original.index + 1} must be text."
    return None

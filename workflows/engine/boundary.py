"""The action boundary inside a run: a write the policy gates waits for a person's decision.

For a write step, the policy decides (a checkpointed step, so a replay sees the decision it
made then, whatever the policy file says now) whether it needs approval and who may decide.
If it does, the exact calls become an :class:`~workflows.approvals.Approval` row, written
before anything is shown; the notifier posts it; then the run waits, holding no working
slot, until the row changes (:mod:`workflows.engine.waiting_room`), takes the desk's wake-up
message on the approval's topic (``DBOS.recv``), and reads the row (a step): the row is the
truth. Escalated: post it to the new approvers and wait again. Settled: update every copy,
then run exactly the approved items, or none.

Before the policy is asked, in the same checkpointed step, a send to anyone the systems do
not know is refused for good (:mod:`workflows.engine.recipients`): no approval can lift it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from dbos import DBOS

from workflows.answers import Notice
from workflows.approvals import (
    Approval,
    ApprovalItem,
    approval_id,
    approval_topic,
    fingerprint,
)
from workflows.approvals.policy import ApprovalPolicy, Gate
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.catalog import AnyOperation, Catalog
from workflows.clock import Clock
from workflows.engine.delivery import DELIVERY_RETRIES
from workflows.engine.preview import Previews, PreviewWait
from workflows.engine.recipients import Audience, Refusal, record_refusal, unknown_recipients
from workflows.engine.slots import Slots
from workflows.engine.waiting_room import WaitingRoom
from workflows.models import RunRequest
from workflows.plan import Plan, Step
from workflows.ports import ApprovalNotifier, People

log = structlog.get_logger(__name__)
# How long a run whose approval changed waits for the desk's wake-up message (sent just after
# the change; a desk that died in between sent none, and the row says what happened anyway).
WAKE_S = 5.0


@dataclass(frozen=True)
class ActionBoundary:
    """What the engine needs to pause writes for people: the policy, the approvals, who is
    who, where approvals are shown, and how long they stay open; ``audience`` says who the
    systems know at each customer (None: nobody outside the company may receive a send);
    ``previews``, how a plan that writes is shown before it runs (None: it runs at once)."""

    policy: ApprovalPolicy
    store: ApprovalStore
    notifier: ApprovalNotifier
    people: People
    ttl: timedelta
    clock: Clock
    room: WaitingRoom
    audience: Audience | None = None
    previews: Previews | None = None


@dataclass(frozen=True)
class Cleared:
    """What a gated step may run: ``calls`` numbered by ``indexes`` (an approval that let
    some items through keeps their numbers, so their idempotency keys do not move), or
    nothing, with ``reason`` (rejected, expired, nobody may approve); ``refused`` when
    the step may never run (a recipient nobody knows), a permanent failure."""

    calls: list[dict[str, Any]]
    indexes: list[int] | None = None
    reason: str | None = None
    approval: Approval | None = None
    refused: bool = False


class ApprovalWait:
    """One run's passage through the boundary; every call here is made in the workflow."""

    def __init__(self, boundary: ActionBoundary, audit: AuditStore, slots: Slots) -> None:
        self.boundary = boundary
        self.audit = audit
        self.slots = slots

    async def clear(
        self,
        request: RunRequest,
        step: Step,
        operation: AnyOperation,
        calls: list[dict[str, Any]],
        items: list[Any] | None,
    ) -> Cleared:
        """Whether (and what of) ``calls`` may run; waits for a decision when one is needed.

        ``items`` are the fan-out's items the calls were made from (their ``summary`` and
        ``why``, if any, describe each call to the approver)."""
        decided = await DBOS.run_step_async(
            {"name": f"gate:{step.id}"}, self._gate, request, step, operation, calls
        )
        if "refused" in decided:
            refusal = Refusal.model_validate(decided["refused"])
            return Cleared([], reason=refusal.reason, refused=True)
        gate = Gate.model_validate(decided)
        if not gate.required:
            return Cleared(calls)
        if not gate.approvers:
            return Cleared([], reason=f"{gate.why} Nobody can approve it, so nothing was done.")
        opened = await DBOS.run_step_async(
            {"name": f"approval:{step.id}"},
            self._open,
            request,
            step,
            operation,
            calls,
            items,
            gate,
        )
        approval = Approval.model_validate(opened)
        await DBOS.run_step_async(
            {"name": f"notify:{step.id}", **DELIVERY_RETRIES}, self._requested, approval, request
        )
        settled = await self._wait(request, step, approval)
        await DBOS.run_step_async(
            {"name": f"settled:{step.id}", **DELIVERY_RETRIES}, self._settled, settled, request
        )
        return _cleared(settled, operation)

    async def preview(self, request: RunRequest, plan: Plan, catalog: Catalog) -> Notice | None:
        """Before a plan that writes starts: None once its requester pressed Run (or when it
        needs no preview), else the notice that ends the run (:mod:`workflows.engine.preview`)."""
        wait = PreviewWait(self.boundary, self.audit, self.slots, catalog)
        return await wait.confirm(request, plan)

    async def _wait(self, request: RunRequest, step: Step, approval: Approval) -> Approval:
        """Wait until the approval is settled, posting it to whoever it escalates to."""
        known = (approval.status, approval.level)
        while True:
            async with self.slots.given_up():
                await self.boundary.room.changed(approval.id, known)
                # The wake-up the desk sent after changing the row: there already, or on its
                # way (taken before the slot, which a wait for it must not hold).
                await DBOS.recv_async(approval_topic(approval.id), timeout_seconds=WAKE_S)
            current = Approval.model_validate(
                await DBOS.run_step_async({"name": f"check:{step.id}"}, self._read, approval.id)
            )
            if not current.open:
                return current
            if current.level > approval.level:
                added = tuple(a for a in current.approvers if a not in approval.approvers)
                await DBOS.run_step_async(
                    {"name": f"escalated:{step.id}", **DELIVERY_RETRIES},
                    self._escalated,
                    current,
                    request,
                    added,
                )
                approval = current
            known = (current.status, current.level)

    # ------------------------------------------------------------------ the steps

    async def _gate(
        self,
        request: RunRequest,
        step: Step,
        operation: AnyOperation,
        calls: list[dict[str, Any]],
    ) -> dict[str, Any]:
        people, audience = self.boundary.people, self.boundary.audience
        refusal = await unknown_recipients(operation.name, calls, people, audience)
        if refusal is not None:
            await record_refusal(self.audit, request, step.id, operation, refusal)
            return {"refused": refusal.model_dump(mode="json")}
        gate = self.boundary.policy.gate(operation, calls, request.principal, self.boundary.people)
        await self.audit.record(
            request.run_id,
            "policy",
            key=f"{request.run_id}:policy:{step.id}",
            step_id=step.id,
            operation=operation.name,
            system=operation.system,
            status="approval_required" if gate.required else "allowed",
            detail={
                "step_id": step.id,
                "operation": operation.name,
                "rule": gate.rule,
                "required": gate.required,
                "approvers": list(gate.approvers),
                "why": gate.why,
            },
        )
        return gate.model_dump(mode="json")

    async def _open(
        self,
        request: RunRequest,
        step: Step,
        operation: AnyOperation,
        calls: list[dict[str, Any]],
        items: list[Any] | None,
        gate: Gate,
    ) -> dict[str, Any]:
        described = tuple(
            _item(i, args, (items or [])[i] if items and i < len(items) else None, operation)
            for i, args in enumerate(calls)
        )
        now = self.boundary.clock.now()
        wanted = Approval(
            id=approval_id(request.run_id, step.id),
            run_id=request.run_id,
            step_id=step.id,
            operation=operation.name,
            system=operation.system,
            title=_title(step, operation, len(calls), request),
            requester_email=request.principal.email,
            requester_name=request.principal.name,
            reply=request.objective.reply,
            items=described,
            fingerprint=fingerprint(operation.name, described),
            approvers=gate.approvers,
            rule=gate.rule,
            created_at=now,
            expires_at=now + self.boundary.ttl,
        )
        approval = await self.boundary.store.create(wanted)
        await self.audit.record(
            request.run_id,
            "approval",
            key=f"{request.run_id}:approval:{approval.id}:requested",
            step_id=step.id,
            operation=operation.name,
            system=operation.system,
            status="requested",
            detail={
                "approval_id": approval.id,
                "outcome": "requested",
                "by": request.principal.email,
                "by_name": request.principal.name,
                "approvers": list(approval.approvers),
                "rule": approval.rule,
                "why": gate.why,
                "at": approval.created_at.isoformat(),
                "expires_at": approval.expires_at.isoformat(),
                "items": len(approval.items),
                "fingerprint": approval.fingerprint,
                "level": approval.level,
            },
        )
        log.info("approval.requested", approval_id=approval.id, approvers=approval.approvers)
        return approval.model_dump(mode="json")

    async def _requested(self, approval: Approval, request: RunRequest) -> None:
        refs = await self.boundary.notifier.requested(approval, request)
        await self.boundary.store.add_messages(approval.id, refs)

    async def _escalated(
        self, approval: Approval, request: RunRequest, added: tuple[str, ...]
    ) -> None:
        refs = await self.boundary.notifier.escalated(approval, request, added)
        await self.boundary.store.add_messages(approval.id, refs)

    async def _settled(self, approval: Approval, request: RunRequest) -> None:
        # The copies posted by any replica, read back now: every one of them is updated.
        current = await self.boundary.store.get(approval.id) or approval
        await self.boundary.notifier.settled(current, request)

    async def _read(self, approval_id: str) -> dict[str, Any]:
        current = await self.boundary.store.get(approval_id)
        if current is None:  # written by this run before it waited: only a lost database
            raise RuntimeError(f"approval {approval_id} is missing from the store")
        return current.model_dump(mode="json")


def _cleared(approval: Approval, operation: AnyOperation) -> Cleared:
    """What a settled approval lets run: exactly its approved items, checked again here
    against what was asked (an edit may change only the editable arguments)."""
    by = approval.decided_by_name or approval.decided_by or "someone"
    if approval.status == "expired":
        return Cleared([], reason="The approval expired, so nothing was done.", approval=approval)
    if approval.status == "rejected":
        why = f": {approval.reason.strip().rstrip('.!')}" if approval.reason else ""
        return Cleared([], reason=f"Rejected by {by}{why}.", approval=approval)
    approved = approval.approved
    if approval.approved_fingerprint != fingerprint(operation.name, approved):
        return Cleared([], reason="The approved items do not match their fingerprint.")
    asked = {item.index: item for item in approval.items}
    for item in approved:
        original = asked.get(item.index)
        if original is None or _changed_fixed(original, item):
            return Cleared([], reason="The approval changed more than may be edited.")
    if not approved:
        return Cleared([], reason=f"{by} approved none of the items.", approval=approval)
    return Cleared([dict(i.args) for i in approved], [i.index for i in approved], approval=approval)


def _changed_fixed(original: ApprovalItem, approved: ApprovalItem) -> bool:
    fixed = set(original.args) | set(approved.args)
    return any(
        original.args.get(k) != approved.args.get(k) for k in fixed if k not in original.editable
    )


def _item(index: int, args: dict[str, Any], item: Any, operation: AnyOperation) -> ApprovalItem:
    """One call as the approver sees it: what it does, why, and the content it sends."""
    source = item if isinstance(item, dict) else {}
    preview = "\n\n".join(str(args[k]) for k in operation.editable if args.get(k))
    return ApprovalItem(
        index=index,
        args=args,
        summary=str(source.get("summary") or _summary(operation, args)),
        why=str(source.get("why") or ""),
        preview=preview,
        editable=tuple(k for k in operation.editable if isinstance(args.get(k), str)),
    )


def _summary(operation: AnyOperation, args: dict[str, Any]) -> str:
    shown = [f"{k}: {v}" for k, v in args.items() if k not in operation.editable]
    return f"{operation.name} ({', '.join(shown)})"[:200]


def _title(step: Step, operation: AnyOperation, count: int, request: RunRequest) -> str:
    """What the approver is asked, as the notes quote it without its verb: "Approve 9
    follow-up emails for Dana Reyes"."""
    what = step.title or operation.description.split(".")[0]
    if what[:1].isupper() and what[1:2].islower():  # "Follow-up emails", not "CRM notes"
        what = what[0].lower() + what[1:]
    many = f"{count} " if count > 1 else ""
    return f"Approve {many}{what} for {request.principal.name}"

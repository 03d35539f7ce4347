"""The plan preview: a plan that writes is shown to its requester before its first step runs.

A plan with no write step runs at once, with no step added. A plan with one is shown to the
person who asked (each step in plain words, its system, and which writes the policy expects
to wait for whom) with Run and Cancel, and the run waits, durably and holding no working
slot, exactly as it waits for an approval: the preview is an approval row
(:mod:`workflows.approvals.previews`) written in a checkpointed step before it is shown, the
run waits in the :class:`~workflows.engine.waiting_room.WaitingRoom` for the row to change,
takes the wake-up message, and reads the row, which is the truth. Run: the run carries on,
once. Cancel, or no answer before the preview's expiry: nothing is done, and the requester
hears "Cancelled, nothing was done."

Whether previews are on is read in the first checkpointed step, so a replay sees what it
saw then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from dbos import DBOS

from workflows.answers import Notice
from workflows.approvals import Approval, ApprovalItem, approval_topic
from workflows.approvals.models import MessageRef, preview_id, requesters_decision
from workflows.approvals.previews import CANCELLED, expired_text
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.engine.delivery import DELIVERY_RETRIES
from workflows.engine.slots import Slots
from workflows.models import RunRequest
from workflows.plan import Plan, Step

if TYPE_CHECKING:
    from workflows.engine.boundary import ActionBoundary

log = structlog.get_logger(__name__)
WAKE_S = 5.0
PREVIEW_OPERATION = "plan.run"
DEFAULT_TTL = timedelta(hours=1)


class PreviewNotifier(Protocol):
    """Shows a plan preview to its requester and brings it to its final state. Called from
    inside durable steps, so each call must be safe to repeat."""

    async def shown(self, preview: Approval, request: RunRequest) -> tuple[MessageRef, ...]:
        """Show the preview, with Run and Cancel, where the requester asked; its copies."""

    async def settled(self, preview: Approval, request: RunRequest) -> None:
        """The preview was run, cancelled or expired: every copy says so, without buttons."""


@dataclass(frozen=True)
class Previews:
    """Plan previews: on or off (``CROSSWIRE_PREVIEWS``), where they are shown, how long one
    waits (``CROSSWIRE_PREVIEW_TTL``)."""

    notifier: PreviewNotifier
    ttl: timedelta = DEFAULT_TTL
    on: bool = True


def writes(plan: Plan, catalog: Catalog) -> list[Step]:
    """The plan's write steps, in plan order."""
    return [s for s in plan.steps if catalog.get(s.operation).access == "write"]


class PreviewWait:
    """One run's passage through its preview; every call here is made in the workflow."""

    def __init__(
        self, boundary: ActionBoundary, audit: AuditStore, slots: Slots, catalog: Catalog
    ) -> None:
        self.boundary = boundary
        self.audit = audit
        self.slots = slots
        self.catalog = catalog

    async def confirm(self, request: RunRequest, plan: Plan) -> Notice | None:
        """None when the plan may run (it only reads, previews are off, or Run was
        pressed); else the notice that ends the run, nothing done."""
        previews = self.boundary.previews
        if previews is None or not writes(plan, self.catalog):
            return None
        opened = await DBOS.run_step_async({"name": "preview"}, self._open, request, plan)
        if opened is None:
            return None
        preview = Approval.model_validate(opened)
        await DBOS.run_step_async(
            {"name": "preview:show", **DELIVERY_RETRIES}, self._shown, preview, request
        )
        settled = await self._wait(preview)
        await DBOS.run_step_async(
            {"name": "preview:settled", **DELIVERY_RETRIES}, self._settled, settled, request
        )
        if settled.status == "approved":
            return None
        text = expired_text(settled, request.objective.received_at)
        return Notice(
            run_id=request.run_id,
            reason="done",
            title="Cancelled",
            text=CANCELLED if settled.status == "rejected" else text,
        )

    async def _wait(self, preview: Approval) -> Approval:
        known = (preview.status, preview.level)
        while True:
            async with self.slots.given_up():
                await self.boundary.room.changed(preview.id, known)
                await DBOS.recv_async(approval_topic(preview.id), timeout_seconds=WAKE_S)
            current = Approval.model_validate(
                await DBOS.run_step_async({"name": "preview:check"}, self._read, preview.id)
            )
            if not current.open:
                return current
            known = (current.status, current.level)

    # ------------------------------------------------------------------ the steps

    async def _open(self, request: RunRequest, plan: Plan) -> dict[str, Any] | None:
        previews = self.boundary.previews
        if previews is None or not previews.on:
            return None
        items = tuple(self._item(i, step, request) for i, step in enumerate(plan.steps))
        wanted = requesters_decision(
            request,
            id=preview_id(request.run_id),
            step_id="preview",
            operation=PREVIEW_OPERATION,
            title=_title(plan),
            items=items,
            now=self.boundary.clock.now(),
            ttl=previews.ttl,
        )
        preview = await self.boundary.store.create(wanted)
        await self.audit.record(
            request.run_id,
            "preview",
            key=f"{request.run_id}:preview:{preview.id}:shown",
            status="shown",
            detail={
                "preview_id": preview.id,
                "outcome": "shown",
                "steps": len(items),
                "approvals": [i.args["step_id"] for i in items if i.args.get("approval")],
                "expires_at": preview.expires_at.isoformat(),
            },
        )
        log.info("preview.shown", preview_id=preview.id, run_id=request.run_id)
        return preview.model_dump(mode="json")

    def _item(self, index: int, step: Step, request: RunRequest) -> ApprovalItem:
        """One step as its requester reads it; a write says whether, and for whom, it is
        expected to wait (the policy decides again, on the exact calls, when it runs)."""
        operation = self.catalog.get(step.operation)
        gate = self.boundary.policy.foresee(operation, request.principal, self.boundary.people)
        args: dict[str, Any] = {
            "step_id": step.id,
            "system": self.catalog.system_labels.get(operation.system, operation.system),
            "write": operation.access == "write",
            "approval": gate.required,
            "approvers": list(gate.approvers),
        }
        what = step.title or operation.description.split(".")[0]
        return ApprovalItem(
            index=index, args=args, summary=what, why=gate.why if gate.required else ""
        )

    async def _shown(self, preview: Approval, request: RunRequest) -> None:
        await show_decision(self.boundary, preview, request)

    async def _settled(self, preview: Approval, request: RunRequest) -> None:
        await settle_decision(self.boundary, preview, request)

    async def _read(self, preview_id: str) -> dict[str, Any]:
        return await read_decision(self.boundary, preview_id, "plan preview")


# A decision the requester takes (a plan preview, a clarifying question): shown, settled and
# read back the same way, through the previews' notifier and the approvals store.


async def show_decision(boundary: ActionBoundary, decision: Approval, request: RunRequest) -> None:
    """Show the decision to its requester and keep where it was posted."""
    previews = boundary.previews
    assert previews is not None
    refs = await previews.notifier.shown(decision, request)
    await boundary.store.add_messages(decision.id, refs)


async def settle_decision(
    boundary: ActionBoundary, decision: Approval, request: RunRequest
) -> None:
    """Update every copy of the decision once it is taken or has expired."""
    previews = boundary.previews
    assert previews is not None
    current = await boundary.store.get(decision.id) or decision
    await previews.notifier.settled(current, request)


async def read_decision(boundary: ActionBoundary, decision_id: str, what: str) -> dict[str, Any]:
    """The decision as the store has it now (``what`` names it in the error if it is gone)."""
    current = await boundary.store.get(decision_id)
    if current is None:
        raise RuntimeError(f"{what} {decision_id} is missing from the store")
    return current.model_dump(mode="json")


def _title(plan: Plan) -> str:
    count = len(plan.steps)
    return f"This plan has {count} step{'s' * (count != 1)} and changes things: run it?"

"""A clarifying question: an objective that fits several customers is asked about, not guessed.

When the planner answers "which one did you mean?" (an ``ambiguous`` notice naming the
candidates) and the run can wait for its requester, the run asks them: one button per
candidate and a "None of these". The question is a row of the approvals store (a ``prv-``
id, as a plan preview is, so nobody but the requester is ever asked and the desk's sweep
expires it), written in a checkpointed step before it is shown; the run waits for it in the
:class:`~workflows.engine.waiting_room.WaitingRoom` holding no working slot, as a preview
does. The choice continues the same run: the objective is planned again for the chosen
customer, and that plan runs. "None of these", or no answer before the expiry, ends the run
with nothing done. The audit records the question and its answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import structlog
from dbos import DBOS

from workflows.answers import Notice
from workflows.approvals import Approval, ApprovalItem, approval_topic
from workflows.approvals.models import PREVIEW_PREFIX, requesters_decision
from workflows.approvals.questions import QUESTION_OPERATION
from workflows.audit import AuditStore
from workflows.engine.delivery import DELIVERY_RETRIES
from workflows.engine.preview import read_decision, settle_decision, show_decision
from workflows.engine.slots import Slots
from workflows.models import RunRequest

if TYPE_CHECKING:
    from workflows.engine.boundary import ActionBoundary

log = structlog.get_logger(__name__)
WAKE_S = 5.0
NONE_OF_THESE = "No customer chosen, so nothing was done."
NO_ANSWER = "No answer, so nothing was done."
_BRIEF_ON = "brief me on "
_QUOTED = re.compile(r"“([^”]+)”")

PlanStep = Callable[[RunRequest], Coroutine[Any, Any, dict[str, Any]]]


def question_id(run_id: str) -> str:
    """The clarifying question of one run (one per run): the same id on every replay."""
    digest = hashlib.sha256(f"{run_id}:question".encode()).hexdigest()[:16]
    return f"{PREVIEW_PREFIX}{digest}"


def is_question(row: Approval) -> bool:
    """A clarifying question, not a plan preview nor an approval."""
    return row.operation == QUESTION_OPERATION


def candidates(notice: Notice) -> list[str]:
    """The customers an ``ambiguous`` notice offers, by name, in its order."""
    if notice.reason != "ambiguous":
        return []
    names = [s[len(_BRIEF_ON) :] for s in notice.suggestions if s.startswith(_BRIEF_ON)]
    return names


def rephrased(text: str, typed: str, name: str) -> str:
    """``text`` with the words that fitted several customers replaced by the chosen one's
    name; the plain briefing request when those words cannot be found."""
    if typed:
        at = text.lower().find(typed.lower())
        if at >= 0:
            return f"{text[:at]}{name}{text[at + len(typed) :]}"
    return f"{_BRIEF_ON}{name}"


class ClarifyWait:
    """One run's passage through its question; every call here is made in the workflow."""

    def __init__(self, boundary: ActionBoundary, audit: AuditStore, slots: Slots) -> None:
        self.boundary = boundary
        self.audit = audit
        self.slots = slots

    async def settle(
        self, request: RunRequest, planned: dict[str, Any], plan_step: PlanStep
    ) -> tuple[RunRequest, dict[str, Any]]:
        """``planned`` as it was when it asks nothing; else the request and its planning
        once the requester chose (the plan for that customer), or a notice that ends the run."""
        notice = Notice.model_validate(planned["notice"])
        previews = self.boundary.previews
        if previews is None or not candidates(notice):
            return request, planned
        opened = await DBOS.run_step_async({"name": "question"}, self._open, request, notice)
        question = Approval.model_validate(opened)
        await DBOS.run_step_async(
            {"name": "question:show", **DELIVERY_RETRIES}, self._shown, question, request
        )
        settled = await self._wait(question)
        await DBOS.run_step_async(
            {"name": "question:settled", **DELIVERY_RETRIES}, self._settled, settled, request
        )
        one = settled.status == "approved" and len(settled.approved) == 1
        chosen = settled.approved[0] if one else None
        if chosen is None:
            text = NONE_OF_THESE if settled.status == "rejected" else NO_ANSWER
            ended = Notice(run_id=request.run_id, reason="done", title=notice.title, text=text)
            return request, {"kind": "notice", "notice": ended.model_dump(mode="json")}
        objective = request.objective.model_copy(update={"text": str(chosen.args["objective"])})
        clarified = request.model_copy(update={"objective": objective})
        replanned = await DBOS.run_step_async(
            {"name": "plan:clarified"}, self._replan, clarified, plan_step
        )
        return clarified, replanned

    async def _wait(self, question: Approval) -> Approval:
        known = (question.status, question.level)
        while True:
            async with self.slots.given_up():
                await self.boundary.room.changed(question.id, known)
                await DBOS.recv_async(approval_topic(question.id), timeout_seconds=WAKE_S)
            current = Approval.model_validate(
                await DBOS.run_step_async({"name": "question:check"}, self._read, question.id)
            )
            if not current.open:
                return current
            known = (current.status, current.level)

    # ------------------------------------------------------------------ the steps

    async def _open(self, request: RunRequest, notice: Notice) -> dict[str, Any]:
        previews = self.boundary.previews
        assert previews is not None
        typed = next(iter(_QUOTED.findall(notice.title)), "")
        items = tuple(
            ApprovalItem(
                index=i,
                args={"name": name, "objective": rephrased(request.objective.text, typed, name)},
                summary=name,
            )
            for i, name in enumerate(candidates(notice))
        )
        wanted = requesters_decision(
            request,
            id=question_id(request.run_id),
            step_id="question",
            operation=QUESTION_OPERATION,
            title=notice.title,
            items=items,
            now=self.boundary.clock.now(),
            ttl=previews.ttl,
        )
        question = await self.boundary.store.create(wanted)
        await self.audit.record(
            request.run_id,
            "question",
            key=f"{request.run_id}:question:{question.id}:asked",
            status="asked",
            detail={
                "question_id": question.id,
                "outcome": "asked",
                "question": notice.title,
                "choices": [i.summary for i in items],
                "expires_at": question.expires_at.isoformat(),
            },
        )
        log.info("question.asked", question_id=question.id, run_id=request.run_id)
        return question.model_dump(mode="json")

    async def _replan(self, request: RunRequest, plan_step: PlanStep) -> dict[str, Any]:
        """The objective planned again, for the chosen customer, with the new plan recorded."""
        planned = await plan_step(request)
        await self.audit.record(
            request.run_id,
            "plan",
            key=f"{request.run_id}:plan:clarified",
            status=planned["kind"],
            detail={"clarified": request.objective.text, **planned},
        )
        return planned

    async def _shown(self, question: Approval, request: RunRequest) -> None:
        await show_decision(self.boundary, question, request)

    async def _settled(self, question: Approval, request: RunRequest) -> None:
        await settle_decision(self.boundary, question, request)

    async def _read(self, question_id: str) -> dict[str, Any]:
        return await read_decision(self.boundary, question_id, "question")

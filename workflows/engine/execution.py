"""Inside the durable workflow: plan and announce, run the waves, compose, deliver.

Every side effect is a DBOS step, checkpointed, so a replay after a crash repeats none that
finished. A run of N plan steps checkpoints N + 2 times: ``plan`` (the plan, its audit row
and the progress message, which always go together), one per plan step, and ``deliver``
(the answer shown, then its audit record). Steps start in topological waves, each wave in
step-id order (``DBOS.reserve_step`` draws their ids in that order before they run
concurrently), and each DBOS step is named after its plan node: a replay that diverged fails
loudly instead of reading another step's output. The composer is pure, so it needs no step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from dbos import DBOS
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from workflows.answers import Briefing, Notice, RunAnswer
from workflows.approvals import Approval
from workflows.audit import AuditStore
from workflows.catalog import CallContext, Catalog
from workflows.dataops import SYSTEM as DATA_SYSTEM
from workflows.engine.adaptation import review
from workflows.engine.arguments import MissingInput, calls_for, lookup, should_run
from workflows.engine.boundary import ActionBoundary, ApprovalWait, Cleared
from workflows.engine.calls import OperationCaller
from workflows.engine.clarify import ClarifyWait
from workflows.engine.compensation import Compensator
from workflows.engine.deadline import StepCutoff, WaveCutoff, reading_deadline
from workflows.engine.delivery import DELIVERY_RETRIES, shown
from workflows.engine.once import not_sent_again, sent_before
from workflows.engine.progress import ProgressTracker
from workflows.engine.recipients import refused_result
from workflows.engine.slots import Slots
from workflows.engine.synthesis import wants_writing, written_answer
from workflows.errors import DeliveryError, PlanError
from workflows.library import ComposeInput, Composer
from workflows.models import RunRequest
from workflows.plan import Plan, Step, validate_plan, waves
from workflows.planning import Planner
from workflows.planning.synthesis import answer_writer
from workflows.planning.usage import MeteredPlanner, PlanningUsage
from workflows.ports import RunReporter, StepState
from workflows.results import Compensation, StepResult

log = structlog.get_logger(__name__)
# Not shown in the progress message: lookups, drafts and data operations are the engine's own
# work, not systems the requester reads.
HIDDEN_SYSTEMS = frozenset({"directory", "drafts", DATA_SYSTEM})
# The answer's audit record is retried in place: retrying the whole step would show it again.
RECORD_ATTEMPTS = 3
RECORD_FIRST_WAIT_S = 1.0


@dataclass
class RunSoFar:
    """What a run has done so far, kept by its workflow so that a run that breaks can still
    record the steps it ran and the answer it could not deliver. A replay refills it from
    the checkpoints, and the audit's keyed inserts write each row once."""

    steps: dict[str, StepResult] = field(default_factory=dict)
    answer: RunAnswer | None = None
    # Write steps that ran, in order (what compensation would undo), the approvals the run's
    # writes went through, and what was undone after a write failed for good.
    writes: list[StepResult] = field(default_factory=list)
    approvals: dict[str, Approval] = field(default_factory=dict)
    compensations: list[Compensation] = field(default_factory=list)


@dataclass(frozen=True)
class RunExecution:
    """What one run does, step by step, with the services it needs."""

    catalog: Catalog
    planner: Planner
    audit: AuditStore
    reporters: Mapping[str, RunReporter]
    caller: OperationCaller
    composers: Mapping[str, Composer]
    boundary: ActionBoundary | None = None
    slots: Slots = field(default_factory=lambda: Slots(1))

    async def fail(
        self,
        request: RunRequest,
        error: str,
        so_far: RunSoFar | None = None,
        undelivered: str | None = None,
    ) -> dict[str, Any]:
        """Record a broken run and tell the requester; a DBOS step of the failing workflow.

        The steps it ran are recorded; ``undelivered`` (the chat system's reason) says the
        run broke because its answer could not be shown, and that answer is recorded as not
        delivered rather than as if it had arrived."""
        so_far = so_far or RunSoFar()
        notice = Notice(
            run_id=request.run_id,
            reason="failed",
            title="Something went wrong",
            text=f"I could not finish this. It is recorded as run `{request.run_id}`; "
            "please try again.",
        )
        told = await self._tell_failure(request, notice)
        lost = so_far.answer if undelivered and so_far.answer else None
        await self.audit.record(
            request.run_id, "error", detail={"error": error, "requester_told": told is None}
        )
        await self.audit.run_finished(
            request.run_id,
            status="failed",
            answer=(lost or notice).model_dump(mode="json"),
            steps=list(so_far.steps.values()),
            delivery="not_delivered" if lost or told else "delivered",
            delivery_error=undelivered if lost else told,
        )
        return notice.model_dump(mode="json")

    async def _tell_failure(self, request: RunRequest, notice: Notice) -> str | None:
        """Send the failure notice; the reason it could not be sent, or None."""
        try:
            await self._reporter(request).finished(request, None, notice)
        except DeliveryError as exc:
            log.error("run.failure_undeliverable", run_id=request.run_id, error=str(exc))
            return getattr(exc, "code", None) or str(exc)
        return None

    def _reporter(self, request: RunRequest) -> RunReporter:
        return self.reporters[request.objective.reply.kind]

    async def execute(self, request: RunRequest, so_far: RunSoFar | None = None) -> RunAnswer:
        """Run the request; ``so_far`` is filled as it goes (see :class:`RunSoFar`)."""
        so_far = so_far if so_far is not None else RunSoFar()
        planned = await DBOS.run_step_async({"name": "plan"}, self._plan_step, request)
        if planned["kind"] == "notice" and self.boundary is not None:  # which one did you mean?
            clarify = ClarifyWait(self.boundary, self.audit, self.slots)
            request, planned = await clarify.settle(request, planned, self._plan_step)
        if planned["kind"] == "notice":
            notice = Notice.model_validate({**planned["notice"], "run_id": request.run_id})
            so_far.answer = notice
            await self._deliver(request, None, notice)
            return notice
        plan = Plan.model_validate(planned["plan"])
        if self.boundary is not None:  # a plan that writes waits for its requester's Run
            wait = ApprovalWait(self.boundary, self.audit, self.slots)
            stopped = await wait.preview(request, plan, self.catalog)
            if stopped is not None:
                so_far.answer = stopped
                await self._deliver(request, planned.get("announced"), stopped)
                return stopped
        tracker = _tracker(plan, self.catalog, planned)
        handle: str | None = planned.get("announced")
        results = so_far.steps
        # One budget for all the waves: a hung system costs its section, not the briefing.
        # A wait for a person starts a new budget for the reads after it.
        deadline = reading_deadline(self.caller.policy.run_deadline_s)
        for wave in waves(plan):
            steps = [plan.step(i) for i in wave]
            await self._run_wave(request, steps, deadline, results, tracker, handle)
            if not await self._write_wave(request, steps, so_far, tracker, handle):
                self._skip_rest(request, plan, results, tracker)
                break
            if any(s.id in so_far.approvals for s in steps):
                deadline = reading_deadline(self.caller.policy.run_deadline_s)
        # A plan that asked for a review: the reads the model adds run as further stages.
        wrote = bool(so_far.writes)
        rounds = review(
            self.planner, self.audit, self.catalog, self.caller.clock, planned, wrote=wrote
        )
        while rounds is not None and (stage := await rounds.next_stage(request, plan, results)):
            plan, deadline = stage.plan, reading_deadline(self.caller.policy.run_deadline_s)
            tracker = _tracker(plan, self.catalog, planned)
            for done in results.values():
                tracker.mark(done.step_id, "skipped" if done.status == "skipped" else _state(done))
            for steps in stage.waves:
                await self._run_wave(request, steps, deadline, results, tracker, handle)
        answer = so_far.answer = self._compose(request, plan, so_far)
        writer = answer_writer(self.planner)
        if writer is not None and wants_writing(planned, answer, wrote=bool(so_far.writes)):
            answer = so_far.answer = await written_answer(
                writer, self.audit, self.catalog, request, plan, results, answer
            )
        await self._deliver(request, handle, answer, list(results.values()))
        return answer

    async def _plan_step(self, request: RunRequest) -> dict[str, Any]:
        """Plan the run, record the plan, and post the progress message (``announced``: its
        handle, None when there is none): one checkpoint for what always goes together."""
        usage: PlanningUsage | None = None
        if isinstance(self.planner, MeteredPlanner):
            planned_with = await self.planner.plan_with_usage(
                request.objective, self.catalog, request.principal
            )
            result, usage = planned_with.result, planned_with.usage
        else:
            result = await self.planner.plan(request.objective, self.catalog, request.principal)
        if isinstance(result, Plan):
            try:
                validate_plan(result, self.catalog)
            except PlanError as exc:
                result = Notice(
                    reason="failed",
                    title="I could not plan that",
                    text=f"The plan did not fit the catalog: {exc}",
                )
        if isinstance(result, Notice):
            planned: dict[str, Any] = {"kind": "notice", "notice": result.model_dump(mode="json")}
        else:
            planned = {"kind": "plan", "plan": result.model_dump(mode="json")}
        if usage is not None:
            planned["usage"] = usage.model_dump(mode="json")
        await self._record_plan(request, planned)
        if isinstance(result, Plan):
            planned["announced"] = await self._announce(request, result, planned)
        return planned

    async def _announce(
        self, request: RunRequest, plan: Plan, planned: dict[str, Any]
    ) -> str | None:
        """Post the progress message; its handle, or None when it could not be posted:
        progress is best effort, and the answer is then posted on its own."""
        snapshot = _tracker(plan, self.catalog, planned).snapshot()
        try:
            return await shown(self._reporter(request).started, request, snapshot)
        except DeliveryError as exc:
            log.warning("run.announce_failed", run_id=request.run_id, error=str(exc))
            return None

    async def _record_plan(self, request: RunRequest, planned: dict[str, Any]) -> None:
        plan = planned.get("plan") or {}
        await self.audit.run_planned(
            request,
            planner=self.planner.name,
            workflow=plan.get("workflow"),
            subject=plan.get("subject"),
            detail={k: v for k, v in planned.items() if k != "kind"},
        )

    async def _run_wave(
        self,
        request: RunRequest,
        wave: list[Step],
        deadline: float,
        results: dict[str, StepResult],
        tracker: ProgressTracker,
        handle: str | None,
    ) -> None:
        """Run one wave's steps concurrently, each cut off at the run's deadline or the grace
        after the others (a cut-off step still returns, and is checkpointed, as ``late``)."""
        running = []
        for step in wave:
            if self.catalog.get(step.operation).access == "write":
                continue  # see _write_wave
            skipped = self._skip_reason(step, results)
            if skipped is not None:
                results[step.id] = self._skipped(request, step, skipped)
                tracker.mark(step.id, "skipped")
            else:
                running.append(step)
        grace = self.caller.policy.late_grace_s
        cutoff = WaveCutoff((s.id for s in running), deadline=deadline, grace=grace)
        pending = []
        for step in running:
            tracker.mark(step.id, "running")
            reservation = DBOS.reserve_step()
            checkpointed = reservation.run_async(
                {"name": f"step:{step.id}"},
                self._step,
                request,
                step,
                calls_for(step, results),
                cutoff.step(step.id),
                tracker,
                handle,
            )
            pending.append(_settled(cutoff, step.id, checkpointed, tracker))
        for done in await asyncio.gather(*pending):
            results[done["step_id"]] = StepResult.model_validate(done)

    async def _write_wave(
        self,
        request: RunRequest,
        wave: list[Step],
        so_far: RunSoFar,
        tracker: ProgressTracker,
        handle: str | None,
    ) -> bool:
        """Run the wave's writes one at a time, in step-id order, each through the action
        boundary (it may wait for a person). False when one failed for good: the writes done
        so far have then been undone where they can be, and the run does nothing more."""
        results = so_far.steps
        for step in wave:
            operation = self.catalog.get(step.operation)
            if operation.access != "write":
                continue
            skipped = self._skip_reason(step, results)
            if skipped is not None:
                results[step.id] = self._skipped(request, step, skipped)
                tracker.mark(step.id, "skipped")
                continue
            calls = calls_for(step, results)
            cleared = Cleared(calls)
            if calls and self.boundary is not None:
                items = lookup(step.for_each, results) if step.for_each else None
                wait = ApprovalWait(self.boundary, self.audit, self.slots)
                cleared = await wait.clear(request, step, operation, calls, items)
            if cleared.approval is not None:
                so_far.approvals[step.id] = cleared.approval
            if cleared.refused:  # a send nobody may approve: a permanent failure
                results[step.id] = refused_result(request, step, operation.system, cleared.reason)
                tracker.mark(step.id, "failed")
                compensator = Compensator(self.catalog, self.caller, self.audit)
                so_far.compensations.extend(await compensator.undo(request, so_far.writes))
                return False
            if cleared.reason is not None:
                results[step.id] = self._skipped(request, step, cleared.reason)
                tracker.mark(step.id, "skipped")
                continue
            tracker.mark(step.id, "running")
            again = await sent_before(step, operation)
            checkpointed = await DBOS.run_step_async(
                {"name": f"step:{step.id}"},
                self._step,
                request,
                step,
                cleared.calls,
                None,
                tracker,
                handle,
                cleared.indexes,
                again,
            )
            result = results[step.id] = StepResult.model_validate(checkpointed)
            tracker.mark(step.id, _state(result))  # a replayed step ran no mark
            so_far.writes.append(result)
            if not result.ok or result.failed_items:
                compensator = Compensator(self.catalog, self.caller, self.audit)
                so_far.compensations.extend(await compensator.undo(request, so_far.writes))
                return False
        return True

    def _skip_rest(
        self,
        request: RunRequest,
        plan: Plan,
        results: dict[str, StepResult],
        tracker: ProgressTracker,
    ) -> None:
        for step in plan.steps:
            if step.id not in results:
                reason = "not run: an earlier write failed, and the run stopped there"
                results[step.id] = self._skipped(request, step, reason)
                tracker.mark(step.id, "skipped")

    def _skip_reason(self, step: Step, results: Mapping[str, StepResult]) -> str | None:
        missing = sorted(r for r in step.references() if not results[r].ok)
        if missing:
            return f"needs the output of {missing[0]!r}, which has none"
        try:
            return None if should_run(step, results) else f"condition {step.when} is false"
        except MissingInput as absent:
            return f"needs the output of {absent.step_id!r}, which has none"

    def _skipped(self, request: RunRequest, step: Step, reason: str) -> StepResult:
        operation = self.catalog.get(step.operation)
        return StepResult(
            step_id=step.id,
            operation=step.operation,
            system=operation.system,
            status="skipped",
            error=reason,
            started_at=request.objective.received_at,
        )

    async def _step(
        self,
        request: RunRequest,
        step: Step,
        calls: list[dict[str, Any]],
        cutoff: StepCutoff | None,
        tracker: ProgressTracker,
        handle: str | None,
        indexes: list[int] | None = None,
        again: bool = False,
    ) -> dict[str, Any]:
        ctx = CallContext(
            run_id=request.run_id, step_id=step.id, requester_email=request.principal.email
        )
        operation = self.catalog.get(step.operation)
        if again:  # a write that may have been sent: see workflows.engine.once
            operation = not_sent_again(operation, self.catalog.label(operation.system))
        with structlog.contextvars.bound_contextvars(run_id=request.run_id, step_id=step.id):
            # Only reads are cut off: a write cut off mid-way may have happened all the same.
            bound = cutoff if operation.access == "read" else None
            result = await self.caller.call(
                operation, calls, ctx, fan_out=bool(step.for_each), cutoff=bound, indexes=indexes
            )
            if cutoff is not None:  # before progress: a slow post is not the system's
                cutoff.wave.finished(step.id)
            if operation.access == "write":  # recorded with the write, not at the run's end
                await self.audit.actions_done(request.run_id, result)
            log.info(
                "step.finished",
                operation=step.operation,
                status=result.status,
                duration_ms=round(result.duration_ms, 1),
                error=result.error,
            )
        tracker.mark(step.id, _state(result))
        if operation.system not in HIDDEN_SYSTEMS:
            await self._reporter(request).progress(request, handle, tracker.snapshot())
        return result.model_dump(mode="json")

    def _compose(self, request: RunRequest, plan: Plan, so_far: RunSoFar) -> RunAnswer:
        composer = self.composers.get(plan.workflow)
        if composer is None:
            return Notice(
                run_id=request.run_id,
                reason="failed",
                title="Nothing to show",
                text=f"No composer is registered for workflow {plan.workflow!r}.",
            )
        answer = composer(
            ComposeInput(
                run_id=request.run_id,
                plan=plan,
                results=so_far.steps,
                system_labels=self.catalog.system_labels,
                now=request.objective.received_at,
                approvals=so_far.approvals,
                compensations=tuple(so_far.compensations),
                write_steps=frozenset(
                    s.id for s in plan.steps if self.catalog.get(s.operation).access == "write"
                ),
            )
        )
        occasion = request.objective.occasion
        if occasion is not None and isinstance(answer, Briefing):
            return answer.model_copy(update={"occasion": occasion})
        return answer

    async def _deliver(
        self,
        request: RunRequest,
        handle: str | None,
        answer: RunAnswer,
        steps: list[StepResult] | None = None,
    ) -> None:
        """Show the answer, then record it, in one step (see :meth:`_show_and_record`)."""
        await DBOS.run_step_async(
            {"name": "deliver", **DELIVERY_RETRIES},
            self._show_and_record,
            request,
            handle,
            answer,
            steps,
        )

    async def _show_and_record(
        self,
        request: RunRequest,
        handle: str | None,
        answer: RunAnswer,
        steps: list[StepResult] | None,
    ) -> None:
        """The answer shown, then recorded as delivered. A delivery that fails rises before
        anything is recorded, so it becomes the run's failure, not its success; the record
        is retried in place, so a retried record never shows the answer again (and a step
        that runs again after a crash finds the answer it already posted)."""
        await self._reporter(request).finished(request, handle, answer)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(RECORD_ATTEMPTS),
            wait=wait_exponential(multiplier=RECORD_FIRST_WAIT_S, exp_base=2),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self.audit.run_finished(
                    request.run_id,
                    status="completed",
                    answer=answer.model_dump(mode="json"),
                    steps=steps,
                    delivery="delivered",
                )


def _tracker(plan: Plan, catalog: Catalog, planned: dict[str, Any]) -> ProgressTracker:
    return ProgressTracker(plan, catalog, hidden=HIDDEN_SYSTEMS, note=_planning_note(planned))


def _planning_note(planned: dict[str, Any]) -> str:
    """What the requester is told of how the run was planned: only that the model could not
    plan it and the offline planner did (and why)."""
    fallback = (planned.get("usage") or {}).get("fallback")
    return f"Planned offline: {fallback}." if fallback else ""


def _state(result: StepResult) -> StepState:
    """What the progress display shows of a finished step."""
    return "ok" if result.ok else "failed"


async def _settled(
    cutoff: WaveCutoff,
    step_id: str,
    checkpointed: Awaitable[dict[str, Any]],
    tracker: ProgressTracker,
) -> dict[str, Any]:
    """A step's result, telling the wave and the progress tracker as soon as it has it: a
    replay reads it from the checkpoint without running the step (which marks it), and the
    steps still running must not report progress with it behind (the progress message
    would go back after a restart)."""
    try:
        done = await checkpointed
    finally:
        cutoff.finished(step_id)
    tracker.mark(step_id, _state(StepResult.model_validate(done)))
    return done

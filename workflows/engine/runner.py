"""The engine: starts runs as durable DBOS workflows and hands back their answers.

What a run does inside its workflow is :mod:`workflows.engine.execution`.

DBOS is a process-wide singleton, so the workflow function reaches the engine through
:func:`bind`: one engine per process, bound before ``DBOS.launch()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID, WorkflowHandleAsync
from dbos._error import (
    DBOSPatchNondeterminismError,
    DBOSStepNondeterminismError,
    DBOSUnexpectedStepError,
)
from pydantic import TypeAdapter

from workflows.answers import AnyAnswer, Notice, RunAnswer
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.engine.boundary import ActionBoundary
from workflows.engine.calls import OperationCaller
from workflows.engine.execution import RunExecution, RunSoFar
from workflows.engine.slots import Slots
from workflows.errors import DeliveryError
from workflows.library import COMPOSERS, Composer
from workflows.models import RunRequest
from workflows.planning import Planner
from workflows.ports import RunReporter

log = structlog.get_logger(__name__)
ANSWER: TypeAdapter[RunAnswer] = TypeAdapter(AnyAnswer)
# A replay that diverged from its recorded steps is a bug or an incompatible deploy: it must
# surface as DBOS reports it, never become a polite "something went wrong".
REPLAY_DIVERGED = (
    DBOSUnexpectedStepError,
    DBOSStepNondeterminismError,
    DBOSPatchNondeterminismError,
)
RESULT_POLL_S = 0.02

_bound: Engine | None = None


def bind(engine: Engine) -> None:
    """Make ``engine`` the one the durable workflow uses in this process."""
    global _bound
    _bound = engine


def bound_engine() -> Engine:
    if _bound is None:
        raise RuntimeError("no engine is bound: build the services before starting runs")
    return _bound


@DBOS.workflow(name="crosswire.run")
async def run_workflow(request: dict[str, Any]) -> dict[str, Any]:
    engine, run = bound_engine(), RunRequest.model_validate(request)
    so_far = RunSoFar()
    try:
        async with engine.slots.working():
            await engine.pacer()
            answer: RunAnswer = await engine.execution.execute(run, so_far)
    except REPLAY_DIVERGED:
        raise
    except Exception as exc:  # the run boundary: the requester hears of any break
        log.error("run.crashed", run_id=run.run_id, error=describe(exc), exc_info=exc)
        failed = await DBOS.run_step_async(
            {"name": "fail"}, engine.execution.fail, run, describe(exc), so_far, undelivered(exc)
        )
        answer = Notice.model_validate(failed)
    return answer.model_dump(mode="json")


def undelivered(exc: BaseException) -> str | None:
    """The chat system's reason (``channel_not_found``) when the run broke because its
    answer could not be shown; None when it broke for another reason."""
    pending, seen = [exc], set()
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, DeliveryError):
            return getattr(error, "code", None) or str(error)
        pending += [e for e in getattr(error, "errors", None) or [] if isinstance(e, BaseException)]
        pending += [e for e in (error.__cause__, error.__context__) if e is not None]
    return None


def describe(exc: BaseException) -> str:
    """An error for the audit, with the cause a retry wrapper would otherwise hide."""
    causes = getattr(exc, "errors", None)
    if isinstance(causes, list) and causes:
        return f"{exc}; last error: {causes[-1]!r}"
    return repr(exc)


async def no_pacing() -> None:
    """The default pacer: runs start at once."""


@dataclass(frozen=True)
class RunHandle:
    """A started run. ``duplicate`` is true when the run id had already been started."""

    run_id: str
    duplicate: bool
    workflow: WorkflowHandleAsync[dict[str, Any]] | None = None


@dataclass
class Engine:
    catalog: Catalog
    planner: Planner
    audit: AuditStore
    reporters: Mapping[str, RunReporter]
    caller: OperationCaller
    composers: Mapping[str, Composer] = field(default_factory=lambda: dict(COMPOSERS))
    max_concurrent_runs: int = 8
    # Awaited before a run starts working; the edge uses it to keep its acks fast under load.
    pacer: Callable[[], Awaitable[None]] = field(default=no_pacing)
    # Where writes wait for people; without it no write is gated (tests of reads only).
    boundary: ActionBoundary | None = None
    slots: Slots = field(init=False)

    execution: RunExecution = field(init=False)

    def __post_init__(self) -> None:
        self.slots = Slots(self.max_concurrent_runs)
        self.execution = RunExecution(
            self.catalog,
            self.planner,
            self.audit,
            self.reporters,
            self.caller,
            self.composers,
            self.boundary,
            self.slots,
        )

    # ------------------------------------------------------------ outside the workflow

    async def submit(self, request: RunRequest, *, audit_duplicates: bool = True) -> RunHandle:
        """Start the run; starting the same run id again starts nothing new.

        With ``audit_duplicates`` a second delivery is recorded as such (it costs a read; a
        caller that makes a fresh run id every time can skip it)."""
        existing = (
            await DBOS.get_workflow_status_async(request.run_id) if audit_duplicates else None
        )
        if existing is not None:
            await self.audit.record(
                request.run_id,
                "duplicate",
                key=f"{request.run_id}:duplicate:{request.objective.trigger_id}:{existing.status}",
                detail={"trigger_id": request.objective.trigger_id, "status": existing.status},
            )
            return RunHandle(request.run_id, duplicate=True)
        with SetWorkflowID(request.run_id):
            workflow = await DBOS.start_workflow_async(
                run_workflow, request.model_dump(mode="json")
            )
        return RunHandle(request.run_id, duplicate=False, workflow=workflow)

    async def started(self, run_id: str) -> bool:
        """Whether a run with this id has been started (by any process, at any time)."""
        return await DBOS.get_workflow_status_async(run_id) is not None

    async def result(self, request: RunRequest, started: RunHandle | None = None) -> RunAnswer:
        """Wait for the run's answer (a run that broke answers with a failure notice).

        A run started by this process is awaited directly; any other is polled."""
        workflow = started.workflow if started else None
        if workflow is None:
            workflow = await DBOS.retrieve_workflow_async(request.run_id)
        return ANSWER.validate_python(await workflow.get_result(polling_interval_sec=RESULT_POLL_S))

    async def run(self, request: RunRequest) -> RunAnswer:
        """Start a run with a fresh id and wait for its answer (``crosswire ask``)."""
        return await self.result(request, await self.submit(request, audit_duplicates=False))

"""Undoing a run's writes when a later write fails for good.

Completed writes are undone in reverse order (steps, then items) by the compensating
operation each declares (:attr:`~workflows.catalog.Operation.undo`, which takes the write's
output). Each undo is a checkpointed step with its own idempotency key, audited; a write that
cannot be undone (an email) is recorded as such, so the requester hears what stays done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbos import DBOS

from workflows.audit import AuditStore
from workflows.catalog import CallContext, Catalog
from workflows.engine.calls import OperationCaller
from workflows.models import RunRequest
from workflows.results import Compensation, StepResult


@dataclass(frozen=True)
class Compensator:
    catalog: Catalog
    caller: OperationCaller
    audit: AuditStore

    async def undo(self, request: RunRequest, done: list[StepResult]) -> list[Compensation]:
        """Undo ``done`` (completed write steps, in the order they ran), newest first."""
        undone: list[Compensation] = []
        for result in reversed(done):
            for item, output in reversed(_done_calls(result)):
                checkpointed = await DBOS.run_step_async(
                    {"name": f"undo:{result.step_id}"},
                    self._undo_one,
                    request,
                    result,
                    item,
                    output,
                )
                undone.append(Compensation.model_validate(checkpointed))
        return undone

    async def _undo_one(
        self, request: RunRequest, result: StepResult, item: int | None, output: Any
    ) -> dict[str, Any]:
        forward = self.catalog.get(result.operation)
        entry: dict[str, Any] = {
            "step_id": result.step_id,
            "item": item,
            "of": forward.name,
            "undo": forward.undo,
            "outcome": "not_reversible",
        }
        if forward.reversible and forward.undo is not None:
            ctx = CallContext(
                run_id=request.run_id,
                step_id=f"undo_{result.step_id}",
                requester_email=request.principal.email,
                item=item,
            )
            entry["idempotency_key"] = ctx.idempotency_key
            outcome = await self.caller.call(self.catalog.get(forward.undo), [output], ctx)
            entry["outcome"] = "undone" if outcome.ok else "failed"
            entry["error"] = outcome.error
        compensation = Compensation.model_validate(entry)
        suffix = "" if item is None else f":{item}"
        await self.audit.record(
            request.run_id,
            "compensation",
            key=f"{request.run_id}:compensation:{result.step_id}{suffix}",
            step_id=result.step_id,
            operation=forward.undo or forward.name,
            system=forward.system,
            status=compensation.outcome,
            detail=compensation.model_dump(mode="json"),
        )
        return compensation.model_dump(mode="json")


def _done_calls(result: StepResult) -> list[tuple[int | None, Any]]:
    """The calls of a write step that happened: (item, output) for each."""
    if result.items:
        return [(i.index, i.output) for i in result.items if i.ok]
    return [(None, result.output)] if result.ok else []

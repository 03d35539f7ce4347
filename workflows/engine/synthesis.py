"""The run's answer written by the model, as one durable step.

The template's answer is composed first (pure); then, when the planner has an answer writer
and the run :func:`wants_writing`, one step asks the writer for the final answer and records what it
cost in the audit. The step's output is the answer itself, so a replay reads it back from
the checkpoint and makes no second model call. A writer that cannot write leaves the
template's answer, with a one-line note (:func:`workflows.planning.synthesis.with_writing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbos import DBOS
from pydantic import TypeAdapter

from workflows.answers import AnyAnswer, RunAnswer
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.models import RunRequest
from workflows.plan import Plan
from workflows.planning.synthesis import AnswerWriter, SynthesisJob, can_write, with_writing
from workflows.results import StepResult

ANSWER: TypeAdapter[RunAnswer] = TypeAdapter(AnyAnswer)


def wants_writing(planned: Mapping[str, Any], answer: RunAnswer, *, wrote: bool) -> bool:
    """Whether the model should write this run's answer: a briefing or free-form answer
    (:func:`~workflows.planning.synthesis.can_write`) of a run that wrote nothing, planned by
    the model or its plan cache. A run the offline planner planned because the model failed
    keeps its template answer: its note already says why, and the model is not asked again."""
    usage = planned.get("usage") or {}
    return not wrote and usage.get("source") != "offline" and can_write(answer)


async def written_answer(
    writer: AnswerWriter,
    audit: AuditStore,
    catalog: Catalog,
    request: RunRequest,
    plan: Plan,
    results: Mapping[str, StepResult],
    answer: RunAnswer,
) -> RunAnswer:
    """The answer as the writer wrote it (or the template's, with its note)."""
    job = SynthesisJob(request.objective, plan, dict(results), catalog, request.principal.email)
    written = await DBOS.run_step_async(
        {"name": "synthesize"}, _write, writer, audit, request.run_id, job, answer
    )
    return ANSWER.validate_python(written)


async def _write(
    writer: AnswerWriter, audit: AuditStore, run_id: str, job: SynthesisJob, answer: RunAnswer
) -> dict[str, Any]:
    written = await writer.write(job)
    await audit.record(
        run_id,
        "synthesis",
        status=written.usage.written_by,
        detail=written.usage.model_dump(mode="json"),
    )
    return with_writing(answer, written).model_dump(mode="json")

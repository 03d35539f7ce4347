"""Synthesis: the model writes the final answer from the outputs of the run's steps.

After the steps ran, one Messages API call sends what the run's steps read (and only that: what
the requester may see) as one bounded context (:mod:`workflows.context`: the facts by system,
ranked by relevance to the objective and cut to ``budget``, the fields systems disagree on
settled by ``precedence``), as untrusted data (:mod:`workflows.planning.synthesis_prompt`); the
model answers through the ``submit_answer`` tool with a headline and statements, each citing the
steps it came from. A citation of a step that is not in the run, or that has no output, sends
the answer back with the errors (at most ``max_repairs`` times). The template answer stands,
with a one-line note, when the model cannot write it: the API is overloaded, down, slow or
unreachable, or its answers stayed invalid. Writing never fails a run.

The engine calls the writer inside a durable step, so a replay reads the written answer back
and makes no second call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import structlog
from pydantic import BaseModel, ConfigDict

from workflows.answers import Briefing, FreeFormAnswer, RunAnswer, Synthesis
from workflows.catalog import Catalog
from workflows.context import Budget, EntityContext, build_context
from workflows.library.briefing_truth import default_precedence
from workflows.library.precedence import Precedence
from workflows.models import Objective
from workflows.plan import Plan
from workflows.planning.claude_client import ModelClient, ModelErrors, failure_note, refuse_remote
from workflows.planning.claude_reply import Reply
from workflows.planning.protocol import capability
from workflows.planning.synthesis_prompt import ANSWER_TOOL, answer_tool, answer_turn, system_blocks
from workflows.planning.synthesis_reply import Drafted, Sources, read_answer, repair_turn
from workflows.planning.usage import CallOutcome, ModelCall, SynthesisUsage
from workflows.results import StepResult

log = structlog.get_logger(__name__)
TEMPLATE_NOTE = "Written from templates"


@dataclass(frozen=True)
class SynthesisJob:
    """What the writer is given: the objective, the plan and its steps' results, the
    catalog (what each operation is, the systems' display names) and who asked."""

    objective: Objective
    plan: Plan
    results: Mapping[str, StepResult]
    catalog: Catalog
    requester: str = ""

    @property
    def labels(self) -> Mapping[str, str]:
        return self.catalog.system_labels

    def context(self, precedence: Precedence, budget: Budget | None = None) -> EntityContext:
        """What the steps read, as one bounded context (see :mod:`workflows.context`)."""
        return build_context(
            self.objective.text,
            self.requester,
            self.plan,
            self.results,
            self.labels,
            precedence,
            budget=budget,
        )


class Written(BaseModel):
    """The writer's answer (None: keep the template's) and what writing it cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    synthesis: Synthesis | None
    usage: SynthesisUsage


class AnswerWriter(Protocol):
    """Writes the final answer of a run from its step outputs."""

    async def write(self, job: SynthesisJob) -> Written: ...


@runtime_checkable
class WritesAnswers(Protocol):
    """A planner that also writes answers (the Claude planner, given a writer)."""

    @property
    def writer(self) -> AnswerWriter | None: ...


def answer_writer(planner: object) -> AnswerWriter | None:
    """The planner's answer writer, if it has one (see :func:`capability`)."""
    writes: WritesAnswers | None = capability(planner, WritesAnswers)  # type: ignore[type-abstract]
    return writes.writer if writes is not None else None


def can_write(answer: RunAnswer) -> bool:
    """Whether a model may write this answer: a briefing, or a free-form answer with a
    result to write from (a digest keeps its layout and buttons, a notice its words)."""
    if isinstance(answer, FreeFormAnswer):
        return answer.status != "unavailable"
    return isinstance(answer, Briefing)


def with_writing(answer: RunAnswer, written: Written) -> RunAnswer:
    """The template's answer with the model's writing, or with the note saying why not."""
    if not isinstance(answer, Briefing | FreeFormAnswer):
        return answer
    if written.synthesis is not None:
        update: dict[str, Any] = {"synthesis": written.synthesis}
        if isinstance(answer, FreeFormAnswer):
            update["written_by"] = "model"
        return answer.model_copy(update=update)
    reason = written.usage.fallback
    return answer.model_copy(update={"note": f"{TEMPLATE_NOTE}: {reason}." if reason else ""})


class ClaudeSynthesizer:
    """Writes answers with one model call, repairing a refused answer a bounded number of
    times. ``links`` are the systems' web addresses, for the citations (by system id);
    ``budget`` bounds the context the model reads, ``precedence`` settles the fields systems
    disagree on (the packaged one by default)."""

    def __init__(
        self,
        client: ModelClient,
        *,
        model: str,
        errors: ModelErrors,
        links: Mapping[str, str] | None = None,
        max_repairs: int = 1,
        max_tokens: int = 2048,
        timeout_s: float = 30.0,
        budget: Budget | None = None,
        precedence: Precedence | None = None,
    ) -> None:
        refuse_remote(client)
        self._client = client
        self._model = model
        self._errors = errors
        self._links = dict(links or {})
        self._max_repairs = max_repairs
        self._max_tokens = max_tokens
        self._timeout_s = timeout_s
        self._budget = budget or Budget()
        self._precedence = precedence or default_precedence()

    async def write(self, job: SynthesisJob) -> Written:
        sources = Sources(job.results, job.labels, self._links)
        context = job.context(self._precedence, self._budget)
        log.info(
            "synthesis.context",
            facts=len(context.facts()),
            chars=context.used_chars,
            dropped=context.dropped.facts,
            disputed=len(context.disputed),
            withheld=context.withheld_amounts,
        )
        turn = answer_turn(job.objective, job.plan, job.results, job.labels, context)
        conversation: list[dict[str, Any]] = [{"role": "user", "content": turn}]
        calls: list[ModelCall] = []
        try:
            for _ in range(1 + self._max_repairs):
                reply = await self._call(job.catalog, conversation)
                drafted = read_answer(reply, reply.model or self._model, sources)
                calls.append(self._record(reply, drafted))
                if drafted.synthesis is not None:
                    usage = SynthesisUsage(
                        calls=tuple(calls), repairs=len(calls) - 1, written_by="model"
                    )
                    return Written(synthesis=drafted.synthesis, usage=usage)
                conversation += [reply.assistant_turn(), repair_turn(reply, drafted, sources)]
        except self._errors.api as exc:
            note = failure_note(exc, self._errors)
            log.warning("synthesis.model_unavailable", note=note, error=str(exc)[:300])
        else:
            note = f"Claude's answers did not cite the run's steps after {len(calls)} tries"
        usage = SynthesisUsage(
            calls=tuple(calls),
            repairs=max(len(calls) - 1, 0),
            written_by="template",
            fallback=note,
        )
        return Written(synthesis=None, usage=usage)

    async def _call(self, catalog: Catalog, conversation: list[dict[str, Any]]) -> Reply:
        refuse_remote(self._client)
        message = await self._client.messages.create(
            model=self._model,
            max_tokens=self._max_tokens,
            system=system_blocks(catalog),
            tools=[answer_tool()],
            tool_choice={"type": "tool", "name": ANSWER_TOOL},
            messages=conversation,
            timeout=self._timeout_s,
        )
        return Reply.model_validate(message.model_dump(mode="json"))

    def _record(self, reply: Reply, drafted: Drafted) -> ModelCall:
        outcome: CallOutcome = "answer" if drafted.synthesis is not None else "invalid_answer"
        call = ModelCall.of(reply.model or self._model, reply.usage, reply.stop_reason, outcome)
        log.info(
            "synthesis.model_call",
            outcome=call.outcome,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            cache_read=call.cache_read_input_tokens,
            cache_write=call.cache_creation_input_tokens,
            errors=drafted.errors or None,
        )
        return call

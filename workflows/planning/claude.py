"""The planner on Claude: one Messages API call turns an objective into a plan.

The call sends a stable, cached prefix (the plan tool, the rules, the workflows, the catalog;
:mod:`workflows.planning.claude_prompt`) and a user turn with the objective as data. The model
answers through the ``submit_plan`` tool. A plan that does not fit the catalog goes back to the
model with its errors (a ``tool_result`` with ``is_error``) at most ``max_repairs`` times; after
that, and whenever the API is overloaded, down, slow or unreachable, the offline planner answers
and says so ("Planned offline: …"). A repeated kind of objective is served from the plan cache
(:mod:`workflows.planning.claude_cache`) with no call at all. Given a ``writer``
(:class:`~workflows.planning.synthesis.ClaudeSynthesizer`), the runs it plans have their
final answer written by the model too.

The client is injected (``anthropic.AsyncAnthropic`` in production, pointed at the Messages API
stand-in in tests); the core does not import it, so the composition root also passes the
library's exception types (:class:`ModelErrors`). With ``CROSSWIRE_TEST_NO_NETWORK=1`` in the
environment, a client whose base URL is not on this machine is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import structlog

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.domain import CustomerMention
from workflows.models import Objective, Principal
from workflows.plan import Plan
from workflows.planning import notices
from workflows.planning.adaptation import Adaptation, AdaptationUsage, Allowance, Budget
from workflows.planning.adaptation_prompt import ADAPT_TOOL, adapt_tool
from workflows.planning.adaptation_prompt import system_blocks as adapt_system
from workflows.planning.adaptation_prompt import user_turn as adapt_turn
from workflows.planning.adaptation_reply import read_adaptation
from workflows.planning.claude_cache import PlanCache
from workflows.planning.claude_client import (
    NETWORK_SWITCH,
    ModelClient,
    ModelErrors,
    RealModelRequestRefused,
    failure_note,
    refuse_remote,
)
from workflows.planning.claude_prompt import (
    PLAN_TOOL,
    WorkflowGuide,
    builtin_guides,
    plan_tool,
    system_blocks,
    user_turn,
)
from workflows.planning.claude_reply import (
    Reply,
    Submission,
    plan_problem,
    read_submission,
    repair_turn,
)
from workflows.planning.help import EXAMPLES
from workflows.planning.offline import OfflinePlanner
from workflows.planning.protocol import Planner, PlanningResult
from workflows.planning.synthesis import AnswerWriter
from workflows.planning.usage import CallOutcome, ModelCall, Planned, PlanningUsage
from workflows.ports import CustomerFinder
from workflows.results import StepResult

__all__ = [
    "NETWORK_SWITCH",
    "ClaudePlanner",
    "ModelClient",
    "ModelErrors",
    "Planned",
    "PlanningUsage",
    "RealModelRequestRefused",
    "with_note",
]

log = structlog.get_logger(__name__)

QUESTIONS = frozenset({"ambiguous", "unknown_customer", "not_allowed"})
OUTCOMES: dict[str, CallOutcome] = {
    "plan": "plan",
    "invalid": "invalid_plan",
    "declined": "declined",
    "none": "no_plan",
}
ADAPT_OUTCOMES: dict[str, CallOutcome] = {
    "done": "done",
    "steps": "steps",
    "refused": "invalid_adaptation",
}


class ClaudePlanner:
    """Plans with one model call, repairs a refused plan a bounded number of times, reuses
    plans of objectives of the same kind, and falls back to ``fallback`` (the offline planner
    by default) when the model cannot help."""

    name = "claude"

    def __init__(
        self,
        client: ModelClient,
        *,
        model: str,
        errors: ModelErrors,
        finder: CustomerFinder | None = None,
        fallback: Planner | None = None,
        cache: PlanCache | None = None,
        guides: Sequence[WorkflowGuide] | None = None,
        max_repairs: int = 2,
        max_tokens: int = 4096,
        timeout_s: float = 30.0,
        writer: AnswerWriter | None = None,
        adaptation_budget: Budget | None = None,
    ) -> None:
        refuse_remote(client)
        self._writer = writer
        self._budget = adaptation_budget or Budget()
        self._client = client
        self._model = model
        self._errors = errors
        self._finder = finder
        self._fallback = fallback or OfflinePlanner(finder, model_configured=True)
        self._cache = cache if cache is not None else PlanCache()
        self._guides = tuple(guides if guides is not None else builtin_guides())
        self._workflows: Collection[str] = frozenset(g.name for g in self._guides)
        self._max_repairs = max_repairs
        self._max_tokens = max_tokens
        self._timeout_s = timeout_s

    @property
    def writer(self) -> AnswerWriter | None:
        """Who writes the final answers of the runs planned here (None: the templates)."""
        return self._writer

    @property
    def adaptation_budget(self) -> Budget:
        """How far a run planned here may adapt (rounds, tokens, time)."""
        return self._budget

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult:
        return (await self.plan_with_usage(objective, catalog, requester)).result

    async def adapt(
        self,
        objective: Objective,
        plan: Plan,
        results: Mapping[str, StepResult],
        allowance: Allowance,
        catalog: Catalog,
    ) -> Adaptation:
        """One call: is the objective met, or which reads should the run add, and why
        (:mod:`workflows.planning.adaptation`). An answer that does not fit is refused,
        not repaired; an API failure is ``unavailable``. Never raises for the model."""
        turn = adapt_turn(objective, plan, results, catalog.system_labels, allowance)
        try:
            refuse_remote(self._client)
            message = await self._client.messages.create(
                model=self._model,
                max_tokens=max(1, min(self._max_tokens, allowance.tokens_left)),
                system=adapt_system(catalog),
                tools=[adapt_tool()],
                tool_choice={"type": "tool", "name": ADAPT_TOOL},
                messages=[{"role": "user", "content": turn}],
                timeout=min(self._timeout_s, max(allowance.seconds_left, 0.1)),
            )
        except self._errors.api as exc:
            return Adaptation(kind="unavailable", reason=self._failure(exc))
        reply = Reply.model_validate(message.model_dump(mode="json"))
        adaptation = read_adaptation(reply, plan, catalog)
        call = ModelCall.of(
            reply.model or self._model,
            reply.usage,
            reply.stop_reason,
            ADAPT_OUTCOMES[adaptation.kind],
        )
        log.info(
            "planning.adaptation",
            outcome=call.outcome,
            reason=adaptation.reason,
            added=[s.id for s in adaptation.steps],
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
        )
        return adaptation.model_copy(update={"usage": AdaptationUsage(calls=(call,))})

    async def plan_with_usage(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> Planned:
        """The plan (or notice) and what it cost: calls, tokens, cache, fallback."""
        mentions = self._finder.find_in(objective.text) if self._finder else []
        key = self._cache.key(catalog, objective.text, mentions)
        cached = self._from_cache(key, catalog, mentions, requester)
        if cached is not None:
            return Planned(result=cached, usage=PlanningUsage(source="cache", cache_key=key))
        return await self._ask(objective, catalog, requester, mentions, key)

    def _from_cache(
        self,
        key: str | None,
        catalog: Catalog,
        mentions: Sequence[CustomerMention],
        requester: Principal | None,
    ) -> Plan | None:
        if key is None:
            return None
        plan = self._cache.get(key, mentions, requester)
        if plan is not None and plan_problem(plan, catalog, self._workflows):
            self._cache.forget(key)
            return None
        return plan

    async def _ask(
        self,
        objective: Objective,
        catalog: Catalog,
        requester: Principal | None,
        mentions: Sequence[CustomerMention],
        key: str | None,
    ) -> Planned:
        conversation: list[dict[str, Any]] = [
            {"role": "user", "content": user_turn(objective, requester, mentions)}
        ]
        calls: list[ModelCall] = []
        try:
            for _ in range(1 + self._max_repairs):
                reply = await self._call(catalog, conversation)
                submission = read_submission(reply, catalog, self._workflows)
                calls.append(self._record(reply, submission))
                if submission.plan is not None:
                    planned = self._answered(submission.plan, calls, key, mentions, requester)
                    if not submission.review_after:
                        return planned
                    usage = planned.usage.model_copy(update={"review_after": True})
                    return planned.model_copy(update={"usage": usage})
                if submission.kind == "declined":
                    return await self._declined(objective, catalog, requester, submission, calls)
                conversation += [reply.assistant_turn(), repair_turn(reply, submission)]
        except self._errors.api as exc:
            note = self._failure(exc)
        else:
            note = f"Claude's plans did not fit the catalog after {len(calls)} tries"
        return await self._offline(objective, catalog, requester, note, calls)

    async def _call(self, catalog: Catalog, conversation: list[dict[str, Any]]) -> Reply:
        refuse_remote(self._client)
        message = await self._client.messages.create(
            model=self._model,
            max_tokens=self._max_tokens,
            system=system_blocks(catalog, self._guides),
            tools=[plan_tool()],
            tool_choice={"type": "tool", "name": PLAN_TOOL},
            messages=conversation,
            timeout=self._timeout_s,
        )
        return Reply.model_validate(message.model_dump(mode="json"))

    def _record(self, reply: Reply, submission: Submission) -> ModelCall:
        call = ModelCall.of(
            reply.model or self._model, reply.usage, reply.stop_reason, OUTCOMES[submission.kind]
        )
        log.info(
            "planning.model_call",
            outcome=call.outcome,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            cache_read=call.cache_read_input_tokens,
            cache_write=call.cache_creation_input_tokens,
            errors=submission.errors or None,
        )
        return call

    def _answered(
        self,
        plan: Plan,
        calls: list[ModelCall],
        key: str | None,
        mentions: Sequence[CustomerMention],
        requester: Principal | None,
    ) -> Planned:
        usage = PlanningUsage(source="model", calls=tuple(calls), repairs=len(calls) - 1)
        if key is not None and self._cache.put(key, plan, mentions, requester):
            usage = usage.model_copy(update={"cache_key": key})
        return Planned(result=plan, usage=usage)

    async def _declined(
        self,
        objective: Objective,
        catalog: Catalog,
        requester: Principal | None,
        submission: Submission,
        calls: list[ModelCall],
    ) -> Planned:
        """The model found nothing to plan. The offline planner's question or help for the
        same words (which customer? what can you do?) answers better than the model's reason;
        anything else it would say does not."""
        usage = PlanningUsage(source="model", calls=tuple(calls), repairs=len(calls) - 1)
        offline = await self._fallback.plan(objective, catalog, requester)
        if isinstance(offline, Notice) and _asks_or_helps(offline):
            return Planned(result=offline, usage=usage)
        return Planned(result=_cannot(submission.reason), usage=usage)

    def _failure(self, exc: Exception) -> str:
        """What went wrong with the API, in one line for the requester."""
        note = failure_note(exc, self._errors)
        log.warning("planning.model_unavailable", note=note, error=str(exc)[:300])
        return note

    async def _offline(
        self,
        objective: Objective,
        catalog: Catalog,
        requester: Principal | None,
        note: str,
        calls: list[ModelCall],
    ) -> Planned:
        result = await self._fallback.plan(objective, catalog, requester)
        usage = PlanningUsage(
            source="offline",
            calls=tuple(calls),
            repairs=max(len(calls) - 1, 0),
            fallback=note,
        )
        return Planned(result=with_note(result, f"Planned offline: {note}."), usage=usage)


def with_note(result: PlanningResult, line: str) -> PlanningResult:
    """The result with a one-line note: after a notice's text, before a plan's summary."""
    if isinstance(result, Notice):
        return result.model_copy(update={"text": f"{result.text}\n\n{line}"})
    return result.model_copy(update={"summary": f"{line} {result.summary}".strip()})


def _asks_or_helps(notice: Notice) -> bool:
    """A question back (which customer, who is asking) or the help and thanks answers."""
    helpful = {notices.help_notice().title, notices.thanks().title}
    return notice.reason in QUESTIONS or notice.title in helpful


def _cannot(reason: str) -> Notice:
    return Notice(
        reason="unsupported",
        title="I can't do that with the connected systems",
        text=reason,
        suggestions=EXAMPLES,
    )

"""The planner's intake, checked for access: a request about a customer the requester may see
nothing of is answered plainly, before any planner (or model) reads a word of it.

The customers the message names are found first (the directory's lookups, in memory); if any
of them is outside the requester's territory, the answer is the access layer's refusal ("You
don't have access to Blue Harbor Logistics; its owner is Marcus Chen."), shown to the
requester only, audited with its rule, and the planner is never asked: nothing of that
account reaches a plan, a model's context or the answer. A plan the planner returns is
checked the same way for the accounts it names literally. Words that fit several customers
pass when the requester may see one of them (the planner then asks which). Every call the
plan makes is checked again by the access layer around the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, Protocol

import structlog

from workflows.answers import Notice
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.domain import CustomerMention
from workflows.models import Objective, Principal
from workflows.plan import Plan
from workflows.planning.protocol import Planner, PlanningResult
from workflows.planning.usage import MeteredPlanner, Planned, PlanningUsage
from workflows.ports import CustomerFinder

log = structlog.get_logger(__name__)
RULE: Final = "territory"


class AccountAccess(Protocol):
    """What the access layer says about accounts a person asks about."""

    async def refusals(self, email: str, account_ids: Sequence[str]) -> dict[str, str]:
        """For each account ``email`` may see nothing of, the sentence that tells them so."""


class AccessCheckedPlanner:
    """``inner``, asked only about customers the requester may see.

    ``current_run`` names the run being planned (the durable workflow's id), for the audit."""

    def __init__(
        self,
        inner: Planner,
        finder: CustomerFinder,
        access: AccountAccess,
        audit: AuditStore,
        current_run: Callable[[], str | None],
    ) -> None:
        self.inner = inner
        self.finder = finder
        self.access = access
        self.audit = audit
        self.current_run = current_run
        self.name = inner.name

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult:
        refused = await self.refused(objective, requester)
        if refused is not None:
            return refused
        return await self.checked(await self.inner.plan(objective, catalog, requester), requester)

    async def refused(self, objective: Objective, requester: Principal | None) -> Notice | None:
        """The refusal for a message naming a customer the requester may see nothing of."""
        if requester is None:
            return None
        spans: dict[tuple[int, int], list[str]] = {}
        for mention in self.finder.find_in(objective.text):
            spans.setdefault(_span(mention), []).append(mention.account.account_id)
        named = [a for accounts in spans.values() for a in accounts]
        told = await self.access.refusals(requester.email, named)
        outside = [
            a for accounts in spans.values() if set(accounts) <= told.keys() for a in accounts
        ]
        return await self._refusal(requester, {a: told[a] for a in outside}, "request")

    async def checked(self, result: PlanningResult, requester: Principal | None) -> PlanningResult:
        """``result``, or the refusal when its plan names an account outside the territory;
        a question (which customer?) offers only the customers the requester may see."""
        if isinstance(result, Notice) and result.reason == "ambiguous" and requester is not None:
            return await self._offered(result, requester)
        if not isinstance(result, Plan) or requester is None:
            return result
        named = list(dict.fromkeys(_accounts_in(s.args for s in result.steps)))
        told = await self.access.refusals(requester.email, named) if named else {}
        return await self._refusal(requester, told, "plan") or result

    async def _offered(self, question: Notice, requester: Principal) -> Notice:
        """``question`` without the customers (its suggestions) the requester may not see."""
        named = {s: _named_in(self.finder, s) for s in question.suggestions}
        ids = [a for accounts in named.values() for a in accounts]
        told = await self.access.refusals(requester.email, ids)
        kept = tuple(s for s, ids in named.items() if not ids or not set(ids) <= told.keys())
        if kept == question.suggestions or not kept:
            return question
        names = [s.removeprefix("brief me on ") for s in kept]
        which = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        return question.model_copy(
            update={"text": f"Which one did you mean: {which}?", "suggestions": kept}
        )

    async def _refusal(
        self, requester: Principal, told: dict[str, str], stage: str
    ) -> Notice | None:
        if not told:
            return None
        accounts = list(told)
        log.info("access.refused", stage=stage, rule=RULE, accounts=accounts)
        run_id = self.current_run()
        if run_id is not None:
            await self.audit.record(
                run_id,
                "access",
                key=f"{run_id}:access:{stage}",
                status="refused",
                detail={
                    "rule": RULE,
                    "stage": stage,
                    "requester": requester.email,
                    "accounts": accounts,
                    "why": " ".join(told.values()),
                },
            )
        return Notice(reason="not_allowed", title="No access", text=" ".join(told.values()))


class MeteredAccessCheckedPlanner(AccessCheckedPlanner):
    """The same, around a planner that says what each planning cost."""

    inner: MeteredPlanner  # type: ignore[assignment]

    async def plan_with_usage(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> Planned:
        refused = await self.refused(objective, requester)
        if refused is not None:
            return Planned(result=refused, usage=PlanningUsage(source="offline"))
        planned = await self.inner.plan_with_usage(objective, catalog, requester)
        checked = await self.checked(planned.result, requester)
        return (
            planned if checked is planned.result else Planned(result=checked, usage=planned.usage)
        )


def access_checked(
    inner: Planner,
    finder: CustomerFinder,
    access: AccountAccess,
    audit: AuditStore,
    current_run: Callable[[], str | None],
) -> Planner:
    """``inner`` behind the access check (metered, when ``inner`` is)."""
    kind = (
        MeteredAccessCheckedPlanner if isinstance(inner, MeteredPlanner) else AccessCheckedPlanner
    )
    return kind(inner, finder, access, audit, current_run)


def _named_in(finder: CustomerFinder, suggestion: str) -> list[str]:
    """The account a suggestion ("brief me on Summit Health Systems") names by its name."""
    name = suggestion.removeprefix("brief me on ").strip().lower()
    found = finder.find_in(suggestion)
    return [m.account.account_id for m in found if m.account.name.lower() == name]


def _span(mention: CustomerMention) -> tuple[int, int]:
    return mention.start, mention.end


def _accounts_in(values: Any) -> Iterator[str]:
    """Account ids a plan's arguments name literally (``account_id``, ``account.account_id``)."""
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "account_id" and isinstance(value, str) and value.strip():
                yield value.strip()
            else:
                yield from _accounts_in(value)
    elif isinstance(values, list | tuple) or hasattr(values, "__next__"):
        for value in values:
            yield from _accounts_in(value)

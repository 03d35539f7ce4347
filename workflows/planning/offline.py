"""The planner that needs no model: it finds the customers a message names, then reads what
is asked of them (:mod:`workflows.planning.phrasing`) and answers with the briefing plan or a
notice: help, thanks, an action it cannot take yet, or a question (which customer?). The
webinar follow-up and today's customer meetings (:mod:`workflows.planning.digest_words`)
are known by their words."""

from __future__ import annotations

from collections.abc import Sequence

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.domain import AccountRef, CustomerMention
from workflows.errors import PlanError
from workflows.library.briefing import briefing_plan
from workflows.library.digest import digest_plan
from workflows.library.follow_up import follow_up_plan
from workflows.models import Objective, Principal
from workflows.plan import validate_plan
from workflows.planning import notices
from workflows.planning.actions import asks_webinar_follow_up
from workflows.planning.digest_words import asks_meetings_digest, digest_scope
from workflows.planning.help import EXAMPLES, HELP_TEXT
from workflows.planning.phrasing import (
    Reading,
    name_goes_on,
    read,
    tidy,
    typed_subject,
    without,
)
from workflows.planning.protocol import PlanningResult
from workflows.ports import CustomerFinder

__all__ = ["EXAMPLES", "HELP_TEXT", "OfflinePlanner"]


class OfflinePlanner:
    """Maps briefing requests to the briefing plan; anything else gets a notice.

    Without a ``finder`` the customer is taken as typed and resolved by the plan's first step.
    ``model_configured`` (it is a model planner's fallback) drops the line telling a requester
    that other questions need a model.
    """

    name = "offline"

    def __init__(
        self, finder: CustomerFinder | None = None, *, model_configured: bool = False
    ) -> None:
        self._finder = finder
        self._model_configured = model_configured

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult:
        text = tidy(objective.text)
        if asks_webinar_follow_up(text):
            if requester is None:
                return notices.who_is_asking()
            return _checked(follow_up_plan(requester.email), catalog)
        mentions = self._finder.find_in(text) if self._finder else []
        reading = read(without(text, [(m.start, m.end) for m in mentions]), customers=len(mentions))
        if not mentions and reading.intent != "action" and asks_meetings_digest(text):
            if requester is None:
                return notices.who_is_asking()
            scope = digest_scope(text, objective)
            return _checked(digest_plan(requester, scope=scope, now=objective.received_at), catalog)
        match reading.intent:
            case "help":
                return notices.help_notice()
            case "thanks":
                return notices.thanks()
            case "unknown":
                return notices.not_understood(text, model_configured=self._model_configured)
            case "action":
                return notices.cannot_act(reading.verb, _accounts(mentions))
            case "briefing":
                return self._briefing(text, reading, mentions, catalog)

    def _briefing(
        self, text: str, reading: Reading, mentions: Sequence[CustomerMention], catalog: Catalog
    ) -> PlanningResult:
        accounts = _accounts(mentions)
        if len(accounts) == 1:
            account = accounts[0]
            longer = name_goes_on(text, mentions[-1].end) if mentions[-1].how == "name" else ""
            if longer and self._finder is not None:
                typed = f"{mentions[-1].text} {longer}"
                return notices.unknown_customer(typed, self._finder.close_to(typed))
            subject = _subject_of(mentions[0])
            plan = briefing_plan(subject, account_id=account.account_id, focus=reading.focus)
            return _checked(plan, catalog)
        if accounts:
            return _which_one(mentions)
        subject = typed_subject(text, reading.subject.split())
        if not subject:
            return notices.which_customer()
        if self._finder is None:
            return _checked(briefing_plan(subject, focus=reading.focus), catalog)
        return notices.unknown_customer(subject, self._finder.close_to(subject))


def _subject_of(mention: CustomerMention) -> str:
    """The customer as the requester named it ("Acme", "acme.io"), or its CRM name when
    they named a person or misspelt it ("Alex Morgan", "Blue Harbour")."""
    return mention.text if mention.how in ("name", "partial", "domain") else mention.account.name


def _accounts(mentions: Sequence[CustomerMention]) -> list[AccountRef]:
    return list({m.account.account_id: m.account for m in mentions}.values())


def _which_one(mentions: Sequence[CustomerMention]) -> Notice:
    """Several customers: one name that fits several, or several names."""
    spans: dict[tuple[int, int], list[CustomerMention]] = {}
    for mention in mentions:
        spans.setdefault((mention.start, mention.end), []).append(mention)
    shared = next((group for group in spans.values() if len(group) > 1), None)
    if shared is not None:
        return notices.ambiguous(shared[0].text, [m.account for m in shared])
    return notices.one_at_a_time(_accounts(mentions))


def _checked(plan: PlanningResult, catalog: Catalog) -> PlanningResult:
    if isinstance(plan, Notice):
        return plan
    try:
        validate_plan(plan, catalog)
    except PlanError as exc:
        return Notice(
            reason="failed",
            title=f"This workspace cannot run the {plan.workflow.replace('_', '-')}",
            text=f"It needs systems that are not connected here: {exc}",
        )
    return plan

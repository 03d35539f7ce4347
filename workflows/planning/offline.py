"""The planner that needs no model: it recognises the built-in workflows from their phrasing."""

from __future__ import annotations

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.errors import PlanError
from workflows.library.briefing import briefing_plan
from workflows.models import Objective
from workflows.plan import validate_plan
from workflows.planning.phrasing import briefing_subject, clean_text, is_briefing, is_help
from workflows.planning.protocol import PlanningResult

HELP_TEXT = (
    "I build customer briefings from every system: CRM, mailbox, support desk, contracts, "
    "product usage and billing, with risks called out and every fact sourced.\n"
    "Try `brief me on Acme`, `prep me for my Acme call`, `what's going on with ACME?` "
    "or `/crosswire brief acme.io`."
)
EXAMPLES = ("brief me on Acme", "prep me for my Acme call", "/crosswire brief acme.io")


class OfflinePlanner:
    """Maps briefing requests to the briefing plan; anything else gets what the bot can do."""

    name = "offline"

    async def plan(self, objective: Objective, catalog: Catalog) -> PlanningResult:
        text = clean_text(objective.text)
        if is_help(text):
            return Notice(
                reason="help", title="What I can do", text=HELP_TEXT, suggestions=EXAMPLES
            )
        if not is_briefing(text):
            return Notice(
                reason="help",
                title="I did not understand that",
                text=f"I can't do “{text}” yet. {HELP_TEXT}",
                suggestions=EXAMPLES,
            )
        subject = briefing_subject(text)
        if not subject:
            return Notice(
                reason="unknown_customer",
                title="Which customer?",
                text="Tell me which customer to brief you on, e.g. `brief me on Acme`.",
                suggestions=EXAMPLES,
            )
        return _checked(briefing_plan(subject), catalog)


def _checked(plan: PlanningResult, catalog: Catalog) -> PlanningResult:
    if isinstance(plan, Notice):
        return plan
    try:
        validate_plan(plan, catalog)
    except PlanError as exc:
        return Notice(
            reason="failed",
            title="This workspace cannot run a briefing",
            text=f"The briefing needs systems that are not connected here: {exc}",
        )
    return plan

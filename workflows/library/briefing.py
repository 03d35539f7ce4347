"""The customer briefing: one account, read from every system at once, risks called out.

The plan resolves the customer first, then reads the six systems in parallel, each step only
if the customer was found. The composer turns whatever came back, including failures, into a
:class:`~workflows.answers.Briefing` whose every section names its source.
"""

from __future__ import annotations

from collections.abc import Sequence

from workflows.answers import Briefing, Notice, Section
from workflows.domain import AccountResolution
from workflows.library.briefing_concerns import concerns
from workflows.library.briefing_sections import SECTION_BUILDERS, unavailable_section
from workflows.library.compose import ComposeInput
from workflows.plan import Plan, Step

ACCOUNT_STEP = "account"
_FOUND = f"{ACCOUNT_STEP}.account"
_ACCOUNT = {"$ref": _FOUND}

SYSTEM_STEPS: tuple[tuple[str, str, str], ...] = (
    ("crm", "crm.get_account", "Account, owner, open deals"),
    ("email", "email.recent_threads", "Latest email threads"),
    ("support", "support.open_tickets", "Open support tickets"),
    ("contracts", "contracts.get_contract", "Contract terms"),
    ("usage", "usage.get_trend", "Product usage trend"),
    ("billing", "billing.list_invoices", "Invoices"),
)


def briefing_plan(
    subject: str, *, account_id: str | None = None, focus: Sequence[str] = ()
) -> Plan:
    """The plan that briefs on ``subject``: a customer as the requester typed it, or, with
    ``account_id``, the canonical name of the account already found (resolved exactly).
    ``focus`` names the systems the requester cares most about; the summary records it."""
    args: dict[str, str] = {"query": subject}
    if account_id is not None:
        args["account_id"] = account_id
    resolve = Step(
        id=ACCOUNT_STEP,
        operation="directory.resolve_account",
        args=args,
        title="Find the customer in every system",
    )
    reads = tuple(
        Step(id=step_id, operation=op, args={"account": _ACCOUNT}, when=_FOUND, title=title)
        for step_id, op, title in SYSTEM_STEPS
    )
    focused = f"; focus: {', '.join(focus)}" if focus else ""
    return Plan(
        workflow="briefing",
        subject=subject,
        summary=f"Brief on {subject} from {len(reads)} systems{focused}",
        steps=(resolve, *reads),
    )


def compose_briefing(data: ComposeInput) -> Briefing | Notice:
    """A briefing from the step results, or a notice if the customer was not found."""
    resolution = _resolution(data)
    if isinstance(resolution, Notice):
        return resolution
    account = resolution.account
    assert account is not None
    sections = tuple(_section(step_id, data) for step_id, _, _ in SYSTEM_STEPS)
    return Briefing(
        run_id=data.run_id,
        account=account,
        generated_at=data.now,
        sections=sections,
        concerns=concerns(data, account),
    )


def _section(step_id: str, data: ComposeInput) -> Section:
    result = data.results.get(step_id)
    system = data.plan.step(step_id).operation.split(".", 1)[0]
    if result is None or not result.ok:
        return unavailable_section(system, data.label(system), result)
    return SECTION_BUILDERS[system](result.output, data)


def _resolution(data: ComposeInput) -> AccountResolution | Notice:
    result = data.results.get(ACCOUNT_STEP)
    if result is None or not result.ok:
        reason = result.error if result and result.error else "the directory did not answer"
        return Notice(
            run_id=data.run_id,
            reason="failed",
            title="I could not look up that customer",
            text=f"Finding “{data.plan.subject}” failed: {reason}. Please try again shortly.",
        )
    resolution = AccountResolution.model_validate(result.output)
    if resolution.status == "found" and resolution.account is not None:
        return resolution
    return _not_found(resolution, data.run_id)


def _not_found(resolution: AccountResolution, run_id: str) -> Notice:
    names = ", ".join(resolution.candidates)
    if resolution.status == "ambiguous":
        return Notice(
            run_id=run_id,
            reason="ambiguous",
            title=f"“{resolution.query}” matches several customers",
            text=f"Which one did you mean: {names}?",
            suggestions=tuple(f"brief me on {c}" for c in resolution.candidates),
        )
    hint = f" Did you mean {names}?" if names else ""
    return Notice(
        run_id=run_id,
        reason="unknown_customer",
        title=f"I couldn't find a customer called “{resolution.query}”",
        text=f"No customer in the CRM or the other systems matches “{resolution.query}”.{hint}",
        suggestions=tuple(f"brief me on {c}" for c in resolution.candidates),
    )

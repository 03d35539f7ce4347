"""The customer briefing: one account, read from every system at once, risks called out.

The plan resolves the customer first, then reads the six systems in parallel, each step only
if the customer was found. The composer turns whatever came back, including failures, into a
:class:`~workflows.answers.Briefing` whose every section names its source. It finds each
system's part by the operation that read it (:mod:`workflows.library.briefing_reads`), so a
plan with other step ids, as a model may write it, gives the same briefing.
"""

from __future__ import annotations

from collections.abc import Sequence

from workflows.answers import Briefing, Notice, Section
from workflows.domain import AccountResolution
from workflows.library.briefing_concerns import concerns
from workflows.library.briefing_reads import RESOLVE_OPERATION, SYSTEM_READS, result_of
from workflows.library.briefing_sections import SECTION_BUILDERS, unavailable_section
from workflows.library.briefing_truth import Truth, default_precedence, settle
from workflows.library.compose import ComposeInput
from workflows.library.precedence import Precedence
from workflows.plan import Plan, Step

ACCOUNT_STEP = "account"
_FOUND = f"{ACCOUNT_STEP}.account"
_ACCOUNT = {"$ref": _FOUND}

# The built-in plan's reads: (step id, operation, title). The step id is the system's, but
# the composer does not rely on it.
SYSTEM_STEPS: tuple[tuple[str, str, str], ...] = tuple(
    (read.system, read.operation, read.title) for read in SYSTEM_READS
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
        operation=RESOLVE_OPERATION,
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


def compose_briefing(data: ComposeInput, precedence: Precedence | None = None) -> Briefing | Notice:
    """A briefing from the step results, or a notice if the customer was not found. Where
    two systems disagree, ``precedence`` (the packaged one by default) says who wins."""
    resolution = _resolution(data)
    if isinstance(resolution, Notice):
        return resolution
    account = resolution.account
    assert account is not None
    truth = settle(data, precedence or default_precedence())
    sections = tuple(_section(r.system, r.operation, data, truth) for r in SYSTEM_READS)
    return Briefing(
        run_id=data.run_id,
        account=account,
        generated_at=data.now,
        sections=sections,
        concerns=concerns(data, account),
    )


def _section(system: str, operation: str, data: ComposeInput, truth: Truth) -> Section:
    """The section of ``system``, from the step that ran ``operation`` (not asked, when the
    plan has none)."""
    result = result_of(data, operation)
    if result is None or not result.ok:
        asked = any(step.operation == operation for step in data.plan.steps)
        return unavailable_section(system, data.label(system), result, asked=asked)
    return SECTION_BUILDERS[system](result.output, data, truth)


def _resolution(data: ComposeInput) -> AccountResolution | Notice:
    result = result_of(data, RESOLVE_OPERATION)
    if result is not None and result.failure == "denied" and result.error:
        return Notice(
            run_id=data.run_id, reason="not_allowed", title="No access", text=result.error
        )
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


__all__ = ["ACCOUNT_STEP", "SYSTEM_STEPS", "briefing_plan", "compose_briefing"]

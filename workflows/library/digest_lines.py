"""A digest meeting's three lines, from the reads made for its customer.

The per-customer reads are the briefing's (one fan-out step per system, one call per
customer), so a customer's slice of them is a briefing's results: the top concern is the
first of :func:`~workflows.library.briefing_concerns.concerns`. A system that did not answer
for that customer costs the line that needs it (named), or is named under the concern line
as not checked; the owner line needs no system (the directory knows owners).
"""

from __future__ import annotations

from dataclasses import replace

from workflows.answers import DigestLine, DigestMeeting
from workflows.domain import AccountRef, CrmAccount, CrmLookup
from workflows.library.briefing import SYSTEM_STEPS
from workflows.library.briefing_concerns import concerns
from workflows.library.compose import ComposeInput
from workflows.library.digest_meetings import CustomerMeeting
from workflows.library.formatting import day, money, plural
from workflows.results import StepResult

READ_STEPS = tuple(step_id for step_id, _, _ in SYSTEM_STEPS)


def digest_meeting(found: CustomerMeeting, data: ComposeInput, index: int | None) -> DigestMeeting:
    """The meeting with its lines; ``index`` is its customer's place in the fan-outs (None
    when the guests match no customer, and nothing was read for it)."""
    meeting, account = found.meeting, found.account
    if account is None or index is None:
        lines = _unknown_customer(found)
    else:
        view = customer_view(data, index)
        lines = (_deal(view, account), _concern(view, account), _owner(found, view))
    return DigestMeeting(
        meeting_id=meeting.id,
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        account=account,
        ours=tuple(found.ours),
        theirs=tuple(found.theirs),
        lines=lines,
    )


def customer_view(data: ComposeInput, index: int) -> ComposeInput:
    """The results as a briefing on customer ``index`` alone would have them."""
    results = dict(data.results)
    for step_id in READ_STEPS:
        result = data.results.get(step_id)
        if result is not None:
            results[step_id] = _one_call(result, index)
    return replace(data, results=results)


def _one_call(result: StepResult, index: int) -> StepResult:
    if not result.ok:  # every call failed (or none was made): that is this one's outcome
        return result
    item = next((i for i in result.items if i.index == index), None)
    if item is None:
        return result.model_copy(update={"status": "failed", "error": "not asked", "items": ()})
    return result.model_copy(
        update={
            "status": item.status,
            "output": item.output,
            "error": item.error,
            "failure": item.failure,
            "items": (),
        }
    )


def _down(view: ComposeInput, step_id: str) -> bool:
    result = view.results.get(step_id)
    return result is None or not result.ok


def _why(view: ComposeInput, step_id: str) -> str:
    result = view.results.get(step_id)
    late = result is not None and result.failure in ("late", "timeout")
    return "did not answer in time" if late else "could not be reached"


def _deal(view: ComposeInput, account: AccountRef) -> DigestLine:
    label = view.label("crm")
    if _down(view, "crm"):
        return DigestLine(
            key="deal",
            text=f"Stage and amount missing: {label} {_why(view, 'crm')}",
            status="unavailable",
            sources=("crm",),
            missing=(label,),
        )
    crm = CrmLookup.model_validate(view.results["crm"].output).account
    if crm is None:
        return DigestLine(
            key="deal", text=f"{account.name} is not in the CRM", status="empty", sources=("crm",)
        )
    return DigestLine(key="deal", text=deal_text(crm), status="ok", sources=("crm",))


def deal_text(crm: CrmAccount) -> str:
    """The open deal closing soonest, its stage and amount, and how much else is open."""
    deals = sorted(crm.open_deals, key=lambda d: (d.close_date, d.id))
    if not deals:
        return f"{crm.lifecycle_stage.capitalize()}, no open deal"
    first, rest = deals[0], deals[1:]
    text = f"{first.stage} · {money(first.amount, first.currency)} · {first.name}"
    text += f", closes {day(first.close_date)}"
    if rest:
        more = money(sum(d.amount for d in rest), rest[0].currency)
        text += f" (and {plural(len(rest), 'other open deal')}, {more})"
    return text


def _concern(view: ComposeInput, account: AccountRef) -> DigestLine:
    missing = tuple(view.label(s) for s in READ_STEPS if _down(view, s))
    if len(missing) == len(READ_STEPS):
        return DigestLine(
            key="concern",
            text="Concerns unknown: no system answered",
            status="unavailable",
            sources=READ_STEPS,
            missing=missing,
        )
    found = concerns(view, account)
    if not found:
        return DigestLine(
            key="concern", text="Nothing to watch out for", status="empty", missing=missing
        )
    top = found[0]
    return DigestLine(
        key="concern",
        text=top.text,
        status="ok",
        sources=top.sources,
        severity=top.severity,
        missing=missing,
    )


def _owner(found: CustomerMeeting, view: ComposeInput) -> DigestLine:
    """The account owner (from the directory; the CRM's record when the directory has none),
    and who of ours attends."""
    name = found.owner_name
    if name is None and not _down(view, "crm"):
        crm = CrmLookup.model_validate(view.results["crm"].output).account
        name = crm.owner_name if crm else None
    others = ", ".join(n for n in found.ours if n != name)
    if name is None:
        text = "No owner on record" + (f"; {others} attending" if others else "")
        return DigestLine(key="owner", text=text, status="empty")
    if name in found.ours:
        text = f"{name}, attending" + (f" with {others}" if others else "")
    else:
        text = f"{name}, not attending" + (f" ({others} attending)" if others else "")
    return DigestLine(key="owner", text=text, status="ok", sources=("crm",))


def _unknown_customer(found: CustomerMeeting) -> tuple[DigestLine, ...]:
    domains = ", ".join(dict.fromkeys(g.rpartition("@")[2] for g in found.theirs))
    return (
        DigestLine(key="deal", text=f"No customer account matches {domains}", status="empty"),
        DigestLine(key="concern", text="Nothing known: not a customer yet", status="empty"),
        DigestLine(
            key="owner",
            text=f"No owner on record; {', '.join(found.ours)} attending",
            status="empty",
        ),
    )


__all__ = ["READ_STEPS", "customer_view", "deal_text", "digest_meeting"]

"""``crosswire audit list`` and ``crosswire audit show RUN_ID``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from bot.settings import Settings
from workflows.audit import AuditEvent, AuditStore, RunDetail, RunSummary
from workflows.planning.pricing import cost_usd, dollars, total_usd
from workflows.planning.usage import ModelCall


async def audit_list(settings: Settings, *, limit: int, as_json: bool) -> int:
    store = await AuditStore.open(settings.audit_database_url)
    try:
        runs = await store.list_runs(limit=limit)
    finally:
        await store.close()
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in runs], indent=2))
    elif not runs:
        print(
            'No runs yet. Try: crosswire ask "brief me on Acme" --as dana.reyes@northwind.example'
        )
    else:
        print(_table(runs))
    return 0


LIST_COLUMNS = ("RUN", "STARTED", "STATUS", "TRIGGER", "REQUESTER", "OBJECTIVE")
OBJECTIVE_WIDTH = 60
EVENT_TEXT_LIMIT = 200


def _table(runs: list[RunSummary]) -> str:
    """Runs as aligned columns under a header; times in this machine's zone, named."""
    rows = [
        (
            r.run_id,
            _stamp(r.created_at),
            r.status,
            r.trigger,
            r.requester_email,
            clip(r.objective, OBJECTIVE_WIDTH),
        )
        for r in runs
    ]
    widths = [max(len(row[i]) for row in [LIST_COLUMNS, *rows]) for i in range(5)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[5]])
        for row in [LIST_COLUMNS, *rows]
    )


def local(at: datetime) -> datetime:
    """``at`` in this machine's time zone (SQLite hands back UTC times without a zone)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone()


def _stamp(at: datetime) -> str:
    return f"{local(at):%Y-%m-%d %H:%M:%S %Z}"


def clip(text: str, limit: int) -> str:
    """``text`` whole if it fits, else cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


async def audit_show(settings: Settings, run_id: str, *, as_json: bool) -> int:
    store = await AuditStore.open(settings.audit_database_url)
    try:
        matches = await store.find_runs(run_id)
        exact = run_id if run_id in matches else (matches[0] if len(matches) == 1 else None)
        detail = await store.get_run(exact) if exact else None
    finally:
        await store.close()
    if detail is None:
        hint = f" Several runs start with it: {', '.join(matches)}." if len(matches) > 1 else ""
        print(f"crosswire: no run {run_id!r} in the audit record.{hint}", file=sys.stderr)
        return 1
    print(json.dumps(detail.model_dump(mode="json"), indent=2) if as_json else _detail_text(detail))
    return 0


def _detail_text(detail: RunDetail) -> str:
    run = detail.run
    finished = f"{local(run.finished_at):%H:%M:%S}" if run.finished_at else "-"
    lines = [
        f"Run {run.run_id}: {run.status}",
        f"  asked by   {run.requester_email} via {run.trigger}"
        + (f" in {detail.channel}" if detail.channel else ""),
        f"  objective  {run.objective}",
        f"  planner    {detail.planner}, workflow {run.workflow or '-'}, "
        f"subject {run.subject or '-'}",
        f"  started    {_stamp(run.created_at)}  finished {finished}",
        *_model_lines(detail),
        "",
    ]
    delivery = detail.delivery
    for event in detail.events:
        lines.extend(_event_lines(event, delivery))
    return "\n".join(lines)


def _event_lines(event: AuditEvent, delivery: AuditEvent | None = None) -> list[str]:
    at = _clock(event.at)
    match event.kind:
        case "plan":
            return [f"{at} plan", *_plan_lines(event.detail)]
        case "step":
            return [_step_line(event)]
        case "answer":
            return [f"{at} answer {_answer_line(event.detail, delivery)}"]
        case "delivery":
            return []  # shown on the answer's line
        case "trigger":
            return [f"{at} {'trigger':<6} {_trigger_text(event.detail)}"]
        case "policy":
            return [f"{at} policy {_policy_text(event.detail)}"]
        case "approval":
            return [f"{at} approval {_approval_text(event.detail)}"]
        case "action":
            return [f"{at} action {_action_text(event.detail)}"]
        case "compensation":
            return [f"{at} undo   {_compensation_text(event.detail)}"]
        case "synthesis":
            return [f"{at} answer written by {_synthesis_text(event.detail)}"]
        case "adaptation":
            head, *rest = _adaptation_lines(event.detail)
            return [f"{at} adapt  {head}", *rest]
        case "schedule_fire" | "briefing_skipped":
            return [f"{at} fired  {_fire_text(event.status, event.detail)}"]
    return [f"{at} {event.kind:<6} {_detail_gist(event.detail)}"]


def _fire_text(status: str | None, fire: dict[str, Any]) -> str:
    """A scheduled run's tick: which schedule or meeting, when it was due, how late, and why
    it was skipped if it was."""
    late = float(fire.get("lateness_ms") or 0) / 1000
    due = fire.get("fire_at") or fire.get("due_at")
    what = fire.get("schedule_id")
    if fire.get("meeting"):
        what = f"briefing for {fire.get('attendee')} before {fire['meeting']!r}"
    elif fire.get("when"):
        what = f"{what} ({fire['when']})"
    reason = f": {fire['reason']}" if fire.get("reason") else ""
    return f"{what}, due {due}, {late:.1f} s late, {status}{reason}"


def _answer_line(answer: dict[str, Any], delivery: AuditEvent | None) -> str:
    gist = f"{answer.get('kind')}: {_answer_gist(answer)}"
    if delivery is None:
        return gist
    if delivery.status != "not_delivered":
        return f"{gist}  (delivered)"
    reason = delivery.detail.get("error") or "unknown reason"
    return f"not delivered: {reason}  (the {gist})"


def _trigger_text(trigger: dict[str, Any]) -> str:
    where = f" in {trigger['channel']}" if trigger.get("channel") else ""
    return f"{trigger.get('trigger')} {trigger.get('trigger_id')}{where}"


def _detail_gist(detail: dict[str, Any]) -> str:
    """An event's detail on one line: ``key: value`` pairs, cut with an ellipsis if long."""
    pairs = [
        f"{key}: {value if isinstance(value, str) else json.dumps(value)}"
        for key, value in detail.items()
    ]
    return clip("; ".join(pairs), EVENT_TEXT_LIMIT)


def _clock(at: datetime) -> str:
    return f"{local(at):%H:%M:%S.%f}"[:-3]


def _step_line(event: AuditEvent) -> str:
    """A step at the time it started, with its duration, attempts and error if any."""
    started = event.detail.get("started_at")
    at = _clock(datetime.fromisoformat(started)) if started else _clock(event.at)
    ms = f"{event.duration_ms:.0f} ms" if event.duration_ms is not None else ""
    attempts = event.detail.get("attempts") or 0
    tries = f" x{attempts}" if attempts > 1 else ""
    error = event.detail.get("error")
    tail = f"  ({error})" if error else ""
    return (
        f"{at} step   {event.step_id:<12} {event.operation:<28} {event.status:<8} "
        f"{ms:>8}{tries}{tail}"
    )


def _plan_lines(detail: dict[str, Any]) -> list[str]:
    plan = detail.get("plan")
    usage = [_usage_line(detail["usage"])] if detail.get("usage") else []
    if not plan:
        return [f"         no plan: {detail.get('notice', {}).get('title', '')}", *usage]
    lines = usage
    for step in plan["steps"]:
        needs = sorted({ref for ref in [step.get("when")] if ref})
        when = f" when {', '.join(needs)}" if needs else ""
        lines.append(f"         {step['id']:<12} {step['operation']}{when}")
    return lines


def _usage_line(usage: dict[str, Any]) -> str:
    """What planning cost: where the plan came from, model calls, tokens and money."""
    calls = _calls(usage)
    source = usage.get("source")
    repairs = f", {usage['repairs']} repairs" if usage.get("repairs") else ""
    fallback = f"; {usage['fallback']}" if usage.get("fallback") else ""
    return (
        f"         planned by {source}: {_count(calls)} ({_tokens(calls)}, "
        f"cost {_cost(calls)}){repairs}{fallback}"
    )


def _count(calls: list[ModelCall], noun: str = "model call") -> str:
    """``1 model call``, ``3 model calls``, ``no model calls``."""
    return f"1 {noun}" if len(calls) == 1 else f"{len(calls) or 'no'} {noun}s"


def _synthesis_text(usage: dict[str, Any]) -> str:
    """Who wrote the answer, what it cost, and why the template did when it did."""
    calls = _calls(usage)
    who = usage.get("written_by")
    repairs = f", {usage['repairs']} repairs" if usage.get("repairs") else ""
    fallback = f"; {usage['fallback']}" if usage.get("fallback") else ""
    spent = f"{_tokens(calls)}, cost {_cost(calls)}"
    return f"{who}: {_count(calls)} ({spent}){repairs}{fallback}"


ENDS = {
    "done": "the model found the objective met",
    "rounds": "the budget's rounds were spent",
    "tokens": "the budget's tokens were spent",
    "time": "the budget's time was spent",
    "refused": "the adaptation was refused",
    "unavailable": "the model could not be asked",
}


def _adaptation_lines(detail: dict[str, Any]) -> list[str]:
    """One round of adaptation: what the model said and why, the steps it added, what it
    cost, and, in the last round, why adapting ended."""
    calls = _calls(detail.get("usage") or {})
    kind = detail.get("kind")
    said = {"steps": "added steps", "done": "done", "refused": "refused", "none": "not asked"}
    head = f"round {detail.get('round')}: {said.get(str(kind), kind)}"
    reason = f"; {detail['reason']}" if detail.get("reason") else ""
    lines = [f"{head}{reason} ({_count(calls)}, {_tokens(calls)}, cost {_cost(calls)})"]
    lines += [f"         + {s['id']:<12} {s['operation']}" for s in detail.get("steps") or []]
    end = detail.get("end")
    if end:
        lines.append(f"         budget end: {end} ({ENDS.get(str(end), end)})")
    return lines


def _model_lines(detail: RunDetail) -> list[str]:
    """The run's model calls in all, planning and writing the answer: tokens and cost."""
    planned = [
        c for e in detail.events if e.kind == "plan" for c in _calls(e.detail.get("usage") or {})
    ]
    written = [c for e in detail.events if e.kind == "synthesis" for c in _calls(e.detail)]
    adapted = [
        c
        for e in detail.events
        if e.kind == "adaptation"
        for c in _calls(e.detail.get("usage") or {})
    ]
    if not planned and not written and not adapted:
        return []
    calls = planned + adapted + written
    adapting = f", adaptation {len(adapted)}" if adapted else ""
    return [
        f"  model      {_count(calls, 'call')} (planning {len(planned)}{adapting}, "
        f"synthesis {len(written)}): {_tokens(calls)}; cost {_cost(calls)}"
    ]


def _calls(usage: dict[str, Any]) -> list[ModelCall]:
    """The recorded calls, each priced: as recorded, or, for a record from before costs
    were kept, at the price table's prices."""
    calls = []
    for entry in usage.get("calls") or []:
        call = ModelCall.model_validate(entry)
        if "cost_usd" not in entry:
            call = call.model_copy(update={"cost_usd": cost_usd(call.model, call)})
        calls.append(call)
    return calls


def _tokens(calls: list[ModelCall]) -> str:
    def total(name: str) -> int:
        return sum(int(getattr(c, name)) for c in calls)

    return (
        f"{total('input_tokens')} in, {total('output_tokens')} out, "
        f"{total('cache_creation_input_tokens')} cache write, "
        f"{total('cache_read_input_tokens')} cache read"
    )


def _cost(calls: list[ModelCall]) -> str:
    return dollars(total_usd([c.cost_usd for c in calls]))


def _answer_gist(answer: dict[str, Any]) -> str:
    if answer.get("kind") == "briefing":
        sections = answer.get("sections", [])
        down = [s["source"] for s in sections if s["status"] == "unavailable"]
        return (
            f"{answer['account']['name']}, {len(sections)} sections, "
            f"{len(answer.get('concerns', []))} concerns"
            + (f", unavailable: {', '.join(down)}" if down else "")
        )
    return str(answer.get("title", ""))


def _policy_text(policy: dict[str, Any]) -> str:
    """Which rule decided a write step, and whether (and for whom) it waits."""
    head = f"{policy.get('step_id')} {policy.get('operation')}: rule {policy.get('rule')}"
    if not policy.get("required"):
        return f"{head}, no approval needed ({policy.get('why')})"
    approvers = ", ".join(policy.get("approvers") or []) or "nobody"
    return f"{head}, approval by {approvers} ({policy.get('why')})"


def _approval_text(approval: dict[str, Any]) -> str:
    """Who decided what, when: a request, a decision, an escalation, an expiry, a refusal."""
    outcome = approval.get("outcome")
    head = f"{approval.get('approval_id')} {outcome}"
    who = _person(approval)
    at = _iso_stamp(approval.get("at"))
    match outcome:
        case "requested":
            approvers = ", ".join(approval.get("approvers") or []) or "nobody"
            until = _iso_stamp(approval.get("expires_at"))
            return f"{head}: {approval.get('items')} items, for {approvers} until {until}"
        case "approved":
            return f"{head} by {who} at {at}: {approval.get('items')} items"
        case "rejected":
            reason = approval.get("reason")
            return f"{head} by {who} at {at}" + (f": {reason}" if reason else "")
        case "escalated":
            added = ", ".join(approval.get("to") or []) or "-"
            by = f" by {who}" if who else ""
            return f"{head} to {added}{by} at {at} (level {approval.get('level')})"
        case "expired":
            return f"{head} at {at}: nothing was sent"
        case "refused":
            return f"{head}: {who} at {at}: {approval.get('why')}"
    return f"{head}: {who} at {at}"


def _action_text(action: dict[str, Any]) -> str:
    """One write call: the system, the operation, its idempotency key and what came of it."""
    item = action.get("item")
    step = f"{action.get('step_id')}" + (f"[{item}]" if item is not None else "")
    error = f" ({action['error']})" if action.get("error") else ""
    return (
        f"{step} {action.get('system')} {action.get('operation')} {action.get('outcome')}"
        f", key {action.get('idempotency_key')}{error}"
    )


def _compensation_text(entry: dict[str, Any]) -> str:
    """One completed write undone, or not: by which operation, with which key."""
    item = entry.get("item")
    step = f"{entry.get('step_id')}" + (f"[{item}]" if item is not None else "")
    undo = entry.get("undo") or entry.get("operation")
    outcome = entry.get("outcome")
    if outcome == "not_reversible":
        return f"{step} {entry.get('of')} not_reversible: it cannot be undone"
    error = f" ({entry['error']})" if entry.get("error") else ""
    return (
        f"{step} {entry.get('of')} by {undo} {outcome}, key {entry.get('idempotency_key')}{error}"
    )


def _person(detail: dict[str, Any]) -> str:
    name, email = detail.get("by_name"), detail.get("by")
    if name and email:
        return f"{name} <{email}>"
    return str(name or email or "")


def _iso_stamp(text: Any) -> str:
    return _stamp(datetime.fromisoformat(text)) if isinstance(text, str) and text else "-"

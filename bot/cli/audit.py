"""``crosswire audit list`` and ``crosswire audit show RUN_ID``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from bot.settings import Settings
from workflows.audit import AuditEvent, AuditStore, RunDetail, RunSummary


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
        print("\n".join(_summary_line(r) for r in runs))
    return 0


def _summary_line(run: RunSummary) -> str:
    return (
        f"{run.run_id:<28} {run.created_at:%Y-%m-%d %H:%M:%S}  {run.status:<9} "
        f"{run.trigger:<13} {run.requester_email:<32} {run.objective[:60]}"
    )


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
    lines = [
        f"Run {run.run_id}: {run.status}",
        f"  asked by   {run.requester_email} via {run.trigger}"
        + (f" in {detail.channel}" if detail.channel else ""),
        f"  objective  {run.objective}",
        f"  planner    {detail.planner}, workflow {run.workflow or '-'}, "
        f"subject {run.subject or '-'}",
        f"  started    {run.created_at:%Y-%m-%d %H:%M:%S}  finished "
        + (f"{run.finished_at:%H:%M:%S}" if run.finished_at else "-"),
        "",
    ]
    for event in detail.events:
        lines.extend(_event_lines(event))
    return "\n".join(lines)


def _event_lines(event: AuditEvent) -> list[str]:
    at = _clock(event.at)
    if event.kind == "plan":
        return [f"{at} plan", *_plan_lines(event.detail)]
    if event.kind == "step":
        return [_step_line(event)]
    if event.kind == "answer":
        return [f"{at} answer {event.detail.get('kind')}: {_answer_gist(event.detail)}"]
    return [f"{at} {event.kind:<6} {json.dumps(event.detail)[:160]}"]


def _clock(at: datetime) -> str:
    return f"{at:%H:%M:%S.%f}"[:-3]


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
        f"{at} step   {event.step_id:<10} {event.operation:<28} {event.status:<8} "
        f"{ms:>8}{tries}{tail}"
    )


def _plan_lines(detail: dict[str, Any]) -> list[str]:
    plan = detail.get("plan")
    if not plan:
        return [f"         no plan: {detail.get('notice', {}).get('title', '')}"]
    lines = []
    for step in plan["steps"]:
        needs = sorted({ref for ref in [step.get("when")] if ref})
        when = f" when {', '.join(needs)}" if needs else ""
        lines.append(f"         {step['id']:<10} {step['operation']}{when}")
    return lines


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

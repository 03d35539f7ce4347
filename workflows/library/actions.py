"""The answer of a run that acts: what was approved, what was done, what was undone.

A composer for any plan with writes: for each write step, in plan order, who decided (or why
nothing was done), how many of its calls went through and which failed, then what was undone
after a write failed for good and what could not be. Plain text (the edge renders it).
"""

from __future__ import annotations

from workflows.answers import Notice
from workflows.approvals import Approval
from workflows.library.compose import ComposeInput
from workflows.plan import Step
from workflows.results import StepResult

UNDO_OUTCOMES = {
    "undone": "undone",
    "failed": "could not be undone (the undo failed)",
    "not_reversible": "cannot be undone",
}


def compose_action_report(given: ComposeInput, *, title: str = "Done") -> Notice:
    lines: list[str] = []
    acted = False
    for step in given.plan.steps:
        result = given.results.get(step.id)
        approval = given.approvals.get(step.id)
        if result is None or step.id not in given.write_steps:
            continue
        line, did = _step_line(step, result, approval, given)
        acted = acted or did
        lines.append(line)
    if given.compensations:
        lines.append("")
        lines.append("A write failed, so what had been done was undone where possible:")
        lines.extend(_undo_lines(given))
    if not lines:
        lines.append("There was nothing to do.")
    if given.compensations:
        heading, reason = "Stopped: a write failed", "failed"
    else:
        heading, reason = (title if acted else "Nothing was done"), "done"
    return Notice(run_id=given.run_id, reason=reason, title=heading, text="\n".join(lines))


def _undo_lines(given: ComposeInput) -> list[str]:
    """One line per write step and outcome, in the order they were undone: "• Follow-up
    emails (9): cannot be undone" rather than a line for each email."""
    titles = {step.id: step.title for step in given.plan.steps}
    counts: dict[tuple[str, str], int] = {}
    labels: dict[tuple[str, str], str] = {}
    for c in given.compensations:
        key = (c.step_id, c.outcome)
        counts[key] = counts.get(key, 0) + 1
        labels[key] = titles.get(c.step_id) or c.of
    return [
        f"• {labels[key]}{f' ({count})' if count > 1 else ''}: {UNDO_OUTCOMES[key[1]]}"
        for key, count in counts.items()
    ]


def _step_line(
    step: Step, result: StepResult, approval: Approval | None, given: ComposeInput
) -> tuple[str, bool]:
    what = step.title or result.operation
    decided = _decision(approval)
    if result.status == "skipped":
        before = [r for r in step.references() if r in given.write_steps]
        if before and all(not given.results[r].ok for r in before if r in given.results):
            return f"{what}: not done, as nothing came of the step before it.", False
        return f"{what}: {result.error or 'not done'}", False
    count = len(result.items) if result.items else 1
    done = [i for i in result.items if i.ok] if result.items else ([None] if result.ok else [])
    failed = result.failed_items if result.items else ([] if result.ok else [None])
    parts = [f"{what}: {len(done)} of {count} done"]
    if failed:
        errors = sorted({(i.error if i else result.error) or "failed" for i in failed})
        parts.append(f"{len(failed)} failed ({'; '.join(errors)})")
    if decided:
        parts.append(decided)
    names = _names(approval, [i.index for i in result.items if i.ok] if result.items else [])
    line = ", ".join(parts) + "."
    if names:
        line += f" {names}"
    return line, bool(done)


def _decision(approval: Approval | None) -> str:
    if approval is None or approval.status != "approved":
        return ""
    by = approval.decided_by_name or approval.decided_by or "someone"
    at = f" at {approval.decided_at:%H:%M} UTC" if approval.decided_at else ""
    edited = any(
        a.args != o.args for a in approval.approved for o in approval.items if a.index == o.index
    )
    return f"approved by {by}{at}" + (" (edited)" if edited else "")


def _names(approval: Approval | None, indexes: list[int]) -> str:
    if approval is None or not indexes:
        return ""
    summaries = {item.index: item.summary for item in approval.items}
    shown = [summaries[i] for i in indexes if i in summaries][:10]
    more = len(indexes) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")

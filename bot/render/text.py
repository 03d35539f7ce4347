"""Answers as plain text for a terminal (``crosswire ask``, the sandbox chat)."""

from __future__ import annotations

from workflows.answers import Briefing, Notice
from workflows.ports import Progress

MARK = {"ok": "", "empty": "", "unavailable": "[unavailable] ", "skipped": "[skipped] "}


def briefing_text(briefing: Briefing) -> str:
    account = briefing.account
    lines = [
        f"Briefing: {account.name} ({account.domain})",
        f"generated {briefing.generated_at:%Y-%m-%d %H:%M} UTC, run {briefing.run_id}",
        "",
    ]
    if briefing.concerns:
        lines.append("Watch out for:")
        lines += [f"  ! {c.text} ({', '.join(c.sources)})" for c in briefing.concerns]
        lines.append("")
    for section in briefing.sections:
        lines.append(f"{MARK[section.status]}{section.title}  [from {section.source}]")
        lines += [f"  - {fact.text}" for fact in section.facts] or [f"  {section.note}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def notice_text(notice: Notice) -> str:
    lines = [notice.title, notice.text]
    if notice.suggestions:
        lines.append("Try: " + " | ".join(notice.suggestions))
    return "\n".join(lines) + "\n"


def answer_text(answer: Briefing | Notice) -> str:
    return briefing_text(answer) if isinstance(answer, Briefing) else notice_text(answer)


def progress_line(progress: Progress) -> str:
    done = ", ".join(
        f"{s.label} {s.state}" for s in progress.systems if s.state not in ("waiting", "running")
    )
    return f"… {progress.subject}: {progress.finished}/{len(progress.systems)} systems ({done})"

"""Answers as text for a terminal (``crosswire ask``).

Data values (a fact, a section's note) are printed as they are: a stray ``*`` in a ticket
subject is not formatting. Text the bot wrote in Slack markup (a notice) goes through the one
terminal renderer, :func:`bot.render.terminal.mrkdwn`, shared with the sandbox chat.
"""

from __future__ import annotations

from bot.render.digest import digest_text
from bot.render.free_form import free_form_text
from bot.render.occasion import occasion_text
from bot.render.synthesis import note_line, written_text
from bot.render.terminal import mrkdwn, style
from workflows.answers import Briefing, Digest, FreeFormAnswer, Notice, RunAnswer
from workflows.ports import Progress

MARK = {"ok": "", "empty": "", "unavailable": "[unavailable] ", "skipped": "[skipped] "}


def briefing_text(briefing: Briefing, *, ansi: bool = False) -> str:
    account = briefing.account
    lines = [
        style(f"Briefing: {account.name} ({account.domain})", "bold", ansi),
        f"generated {briefing.generated_at:%Y-%m-%d %H:%M} UTC, run {briefing.run_id}",
        "",
    ]
    if briefing.occasion is not None:
        lines[1:1] = occasion_text(briefing.occasion).splitlines()
    if briefing.concerns:
        lines.append("Watch out for:")
        lines += [f"  ! {c.text} ({', '.join(c.sources)})" for c in briefing.concerns]
        lines.append("")
    for section in briefing.sections:
        title = style(section.title, "bold", ansi)
        lines.append(f"{MARK[section.status]}{title}  [from {section.source}]")
        lines += [f"  - {fact.text}" for fact in section.facts] or [f"  {section.note}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def notice_text(notice: Notice, *, ansi: bool = False) -> str:
    lines = [style(mrkdwn(notice.title), "bold", ansi), mrkdwn(notice.text, ansi=ansi)]
    if notice.suggestions:
        lines.append("Try: " + " | ".join(notice.suggestions))
    return "\n".join(lines) + "\n"


def answer_text(answer: RunAnswer, *, ansi: bool = False) -> str:
    """The answer as a terminal shows it; ``ansi`` styles it (bold, italic) for a terminal.
    An answer the model wrote is shown as it wrote it; a template's with its note, if any."""
    if isinstance(answer, Briefing | FreeFormAnswer) and answer.synthesis is not None:
        return written_text(answer, answer.synthesis, ansi=ansi)
    if isinstance(answer, Briefing):
        return briefing_text(answer, ansi=ansi) + (note_line(answer.note) if answer.note else "")
    if isinstance(answer, Digest):
        return digest_text(answer)
    if isinstance(answer, FreeFormAnswer):
        return free_form_text(answer, ansi=ansi) + (note_line(answer.note) if answer.note else "")
    return notice_text(answer, ansi=ansi)


def progress_line(progress: Progress) -> str:
    done = ", ".join(
        f"{s.label} {s.state}" for s in progress.systems if s.state not in ("waiting", "running")
    )
    return f"… {progress.subject}: {progress.finished}/{len(progress.systems)} systems ({done})"

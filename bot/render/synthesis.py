"""Block Kit (and terminal text) for an answer the model wrote (its ``synthesis``).

The header names the briefing's account or the question; the headline, then the opening
sentences as one paragraph, the "watch out for" warnings and the bullets, each statement
followed by its sources: the cited systems' display names, linked where a system has a web
address (``_(CRM · <https://billing.example|Billing>)_``). What could not be drawn on (a
briefing's unavailable systems, a free-form answer's missing steps) and who wrote it close the
message. Every value the model wrote goes through :mod:`bot.render.mrkdwn`, like any data.

When the model could not write the answer, the template's answer is shown with its one-line
note (:func:`note_block`, :func:`note_line`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from slack_sdk.models.blocks import Block, DividerBlock

from bot.render import kit, limits
from bot.render.mrkdwn import bold, code, date, escape, plain
from bot.render.occasion import occasion_mrkdwn, occasion_text
from bot.render.terminal import style
from workflows.answers import Briefing, Citation, FreeFormAnswer, Statement, Synthesis

STATEMENT_TEXT: Final = 500
WARNING_ICON: Final = ":warning:"


def written_fallback(answer: Briefing | FreeFormAnswer, synthesis: Synthesis) -> str:
    """The notification text: what the answer is about and its headline."""
    return kit.fallback(f"{plain(_title(answer))}: {plain(synthesis.headline)}")


def written_blocks(answer: Briefing | FreeFormAnswer, synthesis: Synthesis) -> list[Block]:
    blocks: list[Block] = [kit.header(_title(answer))]
    if isinstance(answer, Briefing) and answer.occasion is not None:
        blocks.append(kit.section(occasion_mrkdwn(answer.occasion)))
    blocks.append(kit.section(bold(limits.cut(synthesis.headline, limits.INLINE_VALUE * 2))))
    sentences = _of(synthesis, "sentence")
    if sentences:
        blocks.append(kit.section(" ".join(_statement(s) for s in sentences)))
    warnings = _of(synthesis, "warning")
    if warnings:
        lines = [f"{WARNING_ICON} {_statement(s)}" for s in warnings]
        blocks.extend(_sections(["*Watch out for*", *lines]))
    bullets = _of(synthesis, "bullet")
    if bullets:
        blocks.append(DividerBlock())
        blocks.extend(_sections([f"• {_statement(s)}" for s in bullets]))
    gaps = _gaps(answer)
    if gaps:
        blocks.append(kit.context(f":x: *Unavailable:* {plain(gaps)}"))
    blocks.append(kit.context(_provenance(answer, synthesis)))
    return blocks


def note_block(note: str) -> Block:
    """The template answer's note: how it was written, and why not by the model."""
    return kit.context(f":information_source: {plain(note)}")


def written_text(
    answer: Briefing | FreeFormAnswer, synthesis: Synthesis, *, ansi: bool = False
) -> str:
    """The written answer for a terminal (``crosswire ask``), every statement with sources."""
    lines = [style(_title(answer), "bold", ansi)]
    if isinstance(answer, Briefing) and answer.occasion is not None:
        lines += occasion_text(answer.occasion).splitlines()
    lines += [synthesis.headline, ""]
    sentences = _of(synthesis, "sentence")
    if sentences:
        lines += [" ".join(_text_statement(s) for s in sentences), ""]
    warnings = _of(synthesis, "warning")
    if warnings:
        lines += ["Watch out for:", *(f"  ! {_text_statement(s)}" for s in warnings), ""]
    lines += [f"  - {_text_statement(s)}" for s in _of(synthesis, "bullet")]
    gaps = _gaps(answer)
    if gaps:
        lines += ["", f"Unavailable: {gaps}"]
    sources = ", ".join(c.source for c in synthesis.sources)
    lines += ["", f"written by {synthesis.model} from {sources}, run {answer.run_id}"]
    return "\n".join(lines).rstrip() + "\n"


def note_line(note: str) -> str:
    return f"({note})\n"


def _title(answer: Briefing | FreeFormAnswer) -> str:
    return f"Briefing: {answer.account.name}" if isinstance(answer, Briefing) else answer.title


def _of(synthesis: Synthesis, form: str) -> list[Statement]:
    return [s for s in synthesis.statements if s.form == form]


def _statement(statement: Statement) -> str:
    return f"{plain(limits.cut(statement.text, STATEMENT_TEXT))} {_cited(statement.cites)}"


def _cited(cites: Sequence[Citation]) -> str:
    """The sources of a statement: each cited system once, by name, linked if it can be."""
    systems = {c.system: c for c in cites}.values()
    return "_(" + " · ".join(_source(c) for c in systems) + ")_"


def _source(citation: Citation) -> str:
    url = citation.url
    if url is None or urlsplit(url).scheme not in ("http", "https"):
        return plain(citation.source)
    label = escape(citation.source).replace("|", "/")
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def _sections(lines: list[str]) -> list[Block]:
    """Lines as few sections as Slack's 3,000 characters a section allow."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > limits.SECTION_TEXT:
            blocks.append(kit.section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(kit.section("\n".join(chunk)))
    return blocks


def _gaps(answer: Briefing | FreeFormAnswer) -> str:
    """The systems or steps the answer could not draw on, with why."""
    if isinstance(answer, Briefing):
        return "; ".join(
            f"{s.source} ({s.note})" if s.note else s.source for s in answer.unavailable
        )
    return "; ".join(f"{m.source} ({m.reason})" for m in answer.missing)


def _provenance(answer: Briefing | FreeFormAnswer, synthesis: Synthesis) -> str:
    sources = " · ".join(_source(c) for c in synthesis.sources) or "no system"
    return (
        f"Written by Claude from {sources} · {date(answer.generated_at)} · "
        f"run {code(answer.run_id)}"
    )


def _text_statement(statement: Statement) -> str:
    sources = ", ".join(dict.fromkeys(c.source for c in statement.cites))
    return f"{statement.text} [{sources}]"

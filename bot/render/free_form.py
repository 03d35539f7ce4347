"""Block Kit (and terminal text) for the answer to a free-form question.

The question as the header, the one-line summary, then a section per finding (an account
found) with its facts, each followed by its source: the system's label and the plan step
(``_(Billing · step overdue)_``). What the other steps found comes after, then the steps that
are missing. A long answer is shortened here, on purpose, rather than by Slack's limits: at
most :data:`MAX_FINDINGS` findings and :data:`MAX_FACTS` facts each, within a share of the
message's text budget, saying how many more there are; :func:`bot.render.kit.fit` still
guards the message as a whole. Values go through
:mod:`bot.render.mrkdwn`, blocks through :mod:`bot.render.kit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from slack_sdk.models.blocks import Block, DividerBlock

from bot.render import kit, limits
from bot.render.mrkdwn import bold, code, date, plain
from bot.render.synthesis import note_block
from bot.render.terminal import style
from workflows.answers import Finding, FreeFormAnswer, MissingStep, SourcedFact

MAX_FINDINGS: Final = 10
MAX_FACTS: Final = 8
MAX_CONTEXT: Final = 10
FACT_TEXT: Final = 300
SUMMARY_TEXT: Final = 400
MISSING_TEXT: Final = 800
# Shares of Slack's text budget per message (limits.MESSAGE_TEXT_TOTAL), so that a long
# answer loses facts it says it left out rather than having its texts cut at random.
FINDINGS_BUDGET: Final = 8_500
CONTEXT_BUDGET: Final = 1_200
STATUS_ICON: Final = {"complete": "", "partial": ":warning: ", "unavailable": ":x: "}


def free_form_fallback(answer: FreeFormAnswer) -> str:
    """The notification text: the question and the summary."""
    return kit.fallback(f"{plain(answer.title)}: {plain(answer.summary)}")


def free_form_blocks(answer: FreeFormAnswer) -> list[Block]:
    blocks: list[Block] = [
        kit.header(answer.title),
        kit.section(
            f"{STATUS_ICON[answer.status]}{plain(limits.cut(answer.summary, SUMMARY_TEXT))}"
        ),
        kit.context(_provenance(answer)),
    ]
    shown = answer.findings[:MAX_FINDINGS]
    if shown:
        blocks.append(DividerBlock())
        share = FINDINGS_BUDGET // len(shown)
        blocks.extend(kit.section(_finding(f, share)) for f in shown)
    if answer.total > len(shown):
        blocks.append(kit.context(f"…and {answer.total - len(shown)} more not shown here."))
    if answer.context:
        blocks.append(kit.section(_context(answer.context)))
    if answer.missing:
        blocks.append(kit.context(_missing(answer.missing)))
    if answer.note:
        blocks.append(note_block(answer.note))
    return blocks


def _provenance(answer: FreeFormAnswer) -> str:
    systems = plain(", ".join(sources(answer))) or "no system"
    return f"From {systems} · {date(answer.generated_at)} · run {code(answer.run_id)}"


def sources(answer: FreeFormAnswer) -> list[str]:
    """The labels of the systems the answer's facts came from, first seen first."""
    facts = [*(fact for f in answer.findings for fact in f.facts), *answer.context]
    return list(dict.fromkeys(fact.source for fact in facts))


def _finding(finding: Finding, budget: int) -> str:
    title = bold(limits.cut(finding.title, limits.INLINE_VALUE))
    return "\n".join([title, *_fact_lines(finding.facts, MAX_FACTS, budget - len(title))])


def _context(facts: Sequence[SourcedFact]) -> str:
    return "\n".join(["*Drawn from*", *_fact_lines(facts, MAX_CONTEXT, CONTEXT_BUDGET)])


def _fact_lines(facts: Sequence[SourcedFact], limit: int, budget: int) -> list[str]:
    """Up to ``limit`` facts in at most ``budget`` characters, then how many were left out."""
    lines: list[str] = []
    used = 0
    for fact in facts[:limit]:
        line = f"• {plain(limits.cut(fact.text, FACT_TEXT))} {_cited(fact)}"
        used += len(line) + 1
        if used > budget and lines:
            break
        lines.append(line)
    if len(facts) > len(lines):
        lines.append(f"_…and {len(facts) - len(lines)} more_")
    return lines


def _cited(fact: SourcedFact) -> str:
    return f"_({plain(fact.source)} · step {plain(fact.step)})_"


def _missing(missing: Sequence[MissingStep]) -> str:
    lines = [
        f"{plain(m.source)} (step {plain(m.step)}, {plain(m.title)}) {plain(m.reason)}"
        for m in missing
    ]
    return limits.cut(":x: *Missing:* " + "; ".join(lines), MISSING_TEXT)


def free_form_text(answer: FreeFormAnswer, *, ansi: bool = False) -> str:
    """The answer for a terminal (``crosswire ask``): every finding and fact, with sources."""
    lines = [
        style(answer.title, "bold", ansi),
        answer.summary,
        f"generated {answer.generated_at:%Y-%m-%d %H:%M} UTC, run {answer.run_id}",
        "",
    ]
    for finding in answer.findings:
        lines.append(style(finding.title, "bold", ansi))
        lines += [f"  - {_text_fact(f)}" for f in finding.facts]
        lines.append("")
    if answer.context:
        lines.append("Drawn from:")
        lines += [f"  - {_text_fact(f)}" for f in answer.context]
        lines.append("")
    if answer.missing:
        lines.append("Missing:")
        lines += [f"  ! {m.source} (step {m.step}, {m.title}) {m.reason}" for m in answer.missing]
    return "\n".join(lines).rstrip() + "\n"


def _text_fact(fact: SourcedFact) -> str:
    return f"{fact.text}  [{fact.source}, step {fact.step}]"


__all__ = [
    "MAX_FACTS",
    "MAX_FINDINGS",
    "free_form_blocks",
    "free_form_fallback",
    "free_form_text",
    "sources",
]

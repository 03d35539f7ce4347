"""Block Kit for briefings, notices and progress, built with ``slack_sdk.models.blocks``."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from workflows.answers import Briefing, Notice, Section
from workflows.ports import Progress, StepState

SECTION_TEXT_LIMIT = 2900
STATE_ICON: dict[StepState, str] = {
    "waiting": ":white_circle:",
    "running": ":hourglass_flowing_sand:",
    "ok": ":white_check_mark:",
    "empty": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":heavy_minus_sign:",
}
SECTION_ICON = {"ok": "", "empty": "", "unavailable": ":x: ", "skipped": ""}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text[:SECTION_TEXT_LIMIT])


def progress_text(progress: Progress) -> str:
    total = len(progress.systems)
    if progress.finished < total:
        return f"Gathering *{progress.subject}* from {total} systems… ({progress.finished}/{total})"
    failed = [s.label for s in progress.systems if s.state == "failed"]
    missing = f"; unavailable: {', '.join(failed)}" if failed else ""
    return f"Gathered *{progress.subject}* from {total - len(failed)} of {total} systems{missing}."


def progress_blocks(progress: Progress) -> list[Block]:
    states = "   ".join(f"{STATE_ICON[s.state]} {s.label}" for s in progress.systems)
    return [SectionBlock(text=_md(progress_text(progress))), ContextBlock(elements=[_md(states)])]


def final_progress_text(answer: Briefing | Notice) -> str:
    """What the progress message says once the run is over."""
    if isinstance(answer, Notice):
        return f"*{answer.title}*"
    down = [s.source for s in answer.sections if s.status == "unavailable"]
    missing = f"; unavailable: {', '.join(down)}" if down else ""
    answered = len(answer.sections) - len(down)
    return (
        f"Briefing on *{answer.account.name}* is in the thread: {answered} of "
        f"{len(answer.sections)} systems answered{missing}."
    )


def briefing_fallback(briefing: Briefing) -> str:
    answered = sum(1 for s in briefing.sections if s.status in ("ok", "empty"))
    return (
        f"Briefing on {briefing.account.name}: {len(briefing.concerns)} things to watch, "
        f"{answered} of {len(briefing.sections)} systems answered."
    )


def briefing_blocks(briefing: Briefing) -> list[Block]:
    account = briefing.account
    blocks: list[Block] = [
        HeaderBlock(text=f"Briefing: {account.name}"[:150]),
        ContextBlock(
            elements=[
                _md(
                    f"{account.domain} · {briefing.generated_at:%a %b %d, %H:%M} UTC"
                    f" · run `{briefing.run_id}`"
                )
            ]
        ),
    ]
    if briefing.concerns:
        lines = [
            f"{':red_circle:' if c.severity == 'high' else ':large_orange_circle:'} "
            f"{c.text} _({', '.join(c.sources)})_"
            for c in briefing.concerns
        ]
        blocks.append(SectionBlock(text=_md("*Watch out for*\n" + "\n".join(lines))))
    blocks.append(DividerBlock())
    blocks.extend(_section_block(s) for s in briefing.sections)
    return blocks


def _section_block(section: Section) -> SectionBlock:
    head = f"{SECTION_ICON[section.status]}*{section.title}* · _from {section.source}_"
    body = [f"• {f.text}" for f in section.facts] or [f"_{section.note}_"]
    return SectionBlock(text=_md("\n".join([head, *body])))


def notice_blocks(notice: Notice) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=_md(f"*{notice.title}*\n{notice.text}"))]
    if notice.suggestions:
        tries = " · ".join(f"`{s}`" for s in notice.suggestions)
        blocks.append(ContextBlock(elements=[_md(f"Try: {tries}")]))
    return blocks

"""Block Kit for briefings, notices and progress (a digest's own in :mod:`bot.render.digest`).

Blocks are made through :mod:`bot.render.kit` (Slack's limits) and every value from the
answer goes through :mod:`bot.render.mrkdwn` (escaped, never formatting), so only the
formatting written here is formatting.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import Block, DividerBlock

from bot.render import kit, limits
from bot.render.digest import digest_blocks, digest_fallback
from bot.render.free_form import free_form_blocks, free_form_fallback
from bot.render.mrkdwn import bold, code, date, plain, prose
from bot.render.occasion import occasion_mrkdwn
from bot.render.synthesis import note_block, written_blocks, written_fallback
from workflows.answers import Briefing, Concern, Digest, FreeFormAnswer, Notice, RunAnswer, Section
from workflows.ports import Progress, StepState

STATE_ICON: dict[StepState, str] = {
    "waiting": ":white_circle:",
    "running": ":hourglass_flowing_sand:",
    "ok": ":white_check_mark:",
    "empty": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":heavy_minus_sign:",
}
SECTION_ICON = {"ok": "", "empty": "", "unavailable": ":x: ", "skipped": ""}
NOTICE_TITLE = 300


@dataclass(frozen=True)
class Rendering:
    """What a message shows: its notification ``text`` (mrkdwn) and its ``blocks``."""

    text: str
    blocks: list[Block]


def _subject(name: str) -> str:
    """A customer or subject inside a sentence: bold, and cut when it is very long."""
    return bold(limits.cut(name, limits.INLINE_VALUE))


# ---------------------------------------------------------------- progress


def progress_text(progress: Progress) -> str:
    total = len(progress.systems)
    subject = _subject(progress.subject)
    if progress.finished < total:
        return f"Gathering {subject} from {total} systems… ({progress.finished}/{total})"
    failed = [s.label for s in progress.systems if s.state == "failed"]
    missing = f"; unavailable: {plain(', '.join(failed))}" if failed else ""
    return f"Gathered {subject} from {total - len(failed)} of {total} systems{missing}."


def progress_blocks(progress: Progress) -> list[Block]:
    states = "   ".join(f"{STATE_ICON[s.state]} {plain(s.label)}" for s in progress.systems)
    note = [kit.context(plain(progress.note))] if progress.note else []
    return [kit.section(progress_text(progress)), kit.context(states), *note]


def progress_rendering(progress: Progress) -> Rendering:
    return Rendering(progress_text(progress), progress_blocks(progress))


def final_progress(briefing: Briefing, *, in_thread: bool) -> Rendering:
    """What the progress message says once the briefing was posted: ``in_thread`` when the
    progress message is itself in the thread the briefing went to (it is "below")."""
    down = [s.source for s in briefing.unavailable]
    missing = f"; unavailable: {plain(', '.join(down))}" if down else ""
    answered = len(briefing.sections) - len(down)
    where = "below" if in_thread else "is in the thread"
    text = (
        f"Briefing on {_subject(briefing.account.name)} {where}: {answered} of "
        f"{len(briefing.sections)} systems answered{missing}."
    )
    return Rendering(text, [kit.section(text)])


def undelivered_progress(answer: RunAnswer, reason: str) -> Rendering:
    """What the progress message says when the answer itself could not be posted."""
    what = (
        f"the briefing on {_subject(answer.account.name)}"
        if isinstance(answer, Briefing)
        else "my answer"
    )
    text = (
        f":warning: I gathered {what} but could not post it here ({plain(reason)}). "
        f"It is recorded as run {code(answer.run_id)}."
    )
    return Rendering(text, [kit.section(text)])


# ---------------------------------------------------------------- briefing


def briefing_fallback(briefing: Briefing) -> str:
    answered = sum(1 for s in briefing.sections if s.status in ("ok", "empty"))
    return (
        f"Briefing on {plain(briefing.account.name)}: {len(briefing.concerns)} things to watch, "
        f"{answered} of {len(briefing.sections)} systems answered."
    )


def briefing_blocks(briefing: Briefing) -> list[Block]:
    account = briefing.account
    blocks: list[Block] = [
        kit.header(f"Briefing: {account.name}"),
        kit.context(
            f"{plain(account.domain)} · {date(briefing.generated_at)} · run {code(briefing.run_id)}"
        ),
    ]
    if briefing.occasion is not None:
        blocks.insert(1, kit.section(occasion_mrkdwn(briefing.occasion)))
    if briefing.concerns:
        lines = "\n".join(_concern_line(c) for c in briefing.concerns)
        blocks.append(kit.section(f"*Watch out for*\n{lines}"))
    blocks.append(DividerBlock())
    blocks.extend(_section_block(s) for s in briefing.sections)
    if briefing.note:
        blocks.append(note_block(briefing.note))
    return blocks


def briefing_rendering(briefing: Briefing) -> Rendering:
    return Rendering(briefing_fallback(briefing), briefing_blocks(briefing))


def _concern_line(concern: Concern) -> str:
    icon = ":red_circle:" if concern.severity == "high" else ":large_orange_circle:"
    return f"{icon} {plain(concern.text)} _({plain(', '.join(concern.sources))})_"


def _section_block(section: Section) -> Block:
    head = (
        f"{SECTION_ICON[section.status]}*{plain(section.title)}* · _from {plain(section.source)}_"
    )
    body = [f"• {plain(f.text)}" for f in section.facts] or [f"_{plain(section.note)}_"]
    return kit.section("\n".join([head, *body]))


# ---------------------------------------------------------------- notices


def notice_fallback(notice: Notice) -> str:
    """A notice's notification text: escaped like its blocks, within Slack's length."""
    return kit.fallback(f"{plain(notice.title)}. {prose(notice.text)}")


def notice_blocks(notice: Notice) -> list[Block]:
    title = bold(limits.cut(notice.title, NOTICE_TITLE))
    blocks: list[Block] = [kit.section(f"{title}\n{prose(notice.text)}")]
    if notice.suggestions:
        tries = " · ".join(code(s) for s in notice.suggestions)
        blocks.append(kit.context(f"Try: {tries}"))
    return blocks


def notice_rendering(notice: Notice) -> Rendering:
    return Rendering(notice_fallback(notice), notice_blocks(notice))


def answer_rendering(answer: RunAnswer) -> Rendering:
    """The answer as Slack shows it: as the model wrote it, when it did."""
    if isinstance(answer, Briefing | FreeFormAnswer) and answer.synthesis is not None:
        written = answer.synthesis
        return Rendering(written_fallback(answer, written), written_blocks(answer, written))
    if isinstance(answer, Briefing):
        return briefing_rendering(answer)
    if isinstance(answer, Digest):
        return Rendering(digest_fallback(answer), digest_blocks(answer))
    if isinstance(answer, FreeFormAnswer):
        return Rendering(free_form_fallback(answer), free_form_blocks(answer))
    return notice_rendering(answer)

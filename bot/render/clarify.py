"""Block Kit for a clarifying question: which of several customers the requester meant.

While the question waits it shows one button per candidate and a **None of these**; each
button carries the question id and the choice's index, nothing else. Once answered or
expired the buttons give way to one line saying what was chosen, by whom and when.
"""

from __future__ import annotations

import re

from slack_sdk.models.blocks import Block, ButtonElement

from bot.render import kit
from bot.render.blocks import Rendering
from bot.render.mrkdwn import bold, date, plain
from workflows.approvals.models import Approval

CHOOSE = "clarify.choose"
NONE = "clarify.none"
CHOOSE_PATTERN = re.compile(rf"^{re.escape(CHOOSE)}\.\d+$")
"""The choice buttons' action ids (``clarify.choose.0``, …: unique within their block)."""
NONE_VALUE = "none"


def choice_value(question: Approval, index: int | None) -> str:
    """``<question id>:<index>``, or ``<question id>:none``."""
    return f"{question.id}:{NONE_VALUE if index is None else index}"


def parse_value(value: str) -> tuple[str, int | None] | None:
    """The question id and the choice (None: none of these) a button carries; None when the
    value is not one of ours."""
    question_id, _, choice = value.rpartition(":")
    if not question_id:
        return None
    if choice == NONE_VALUE:
        return question_id, None
    return (question_id, int(choice)) if choice.isdigit() else None


def question_rendering(question: Approval) -> Rendering:
    """The question as its requester sees it."""
    blocks: list[Block] = [kit.header(question.title)]
    if question.open:
        blocks.append(kit.section(f"Which one did you mean? (until {date(question.expires_at)})"))
        blocks.append(kit.actions(question_buttons(question)))
    else:
        blocks.append(kit.context(outcome_line(question)))
    return Rendering(_fallback(question), blocks)


def question_buttons(question: Approval) -> list[ButtonElement]:
    buttons = [
        kit.button(item.summary, f"{CHOOSE}.{item.index}", choice_value(question, item.index))
        for item in question.items
    ]
    buttons.append(kit.button("None of these", NONE, choice_value(question, None)))
    return buttons


def outcome_line(question: Approval) -> str:
    """``Chose *Summit Health Systems* at …``, ``None of these …``, or no answer."""
    at = f" at {date(question.decided_at)}" if question.decided_at else ""
    match question.status:
        case "approved" if question.approved:
            return f":arrow_right: Chose {bold(plain(question.approved[0].summary))}{at}"
        case "rejected":
            return f":no_entry_sign: None of these{at}; nothing was done"
        case "expired":
            return ":hourglass: No answer, so nothing was done"
        case _:
            return f"Waiting until {date(question.expires_at)}"


def question_text(question: Approval) -> str:
    """The question as plain numbered lines, for a terminal."""
    lines = [question.title, "Which one did you mean?"]
    lines += [f"  {item.index + 1}. {item.summary}" for item in question.items]
    lines.append(f"  {len(question.items) + 1}. None of these")
    return "\n".join(lines)


def _fallback(question: Approval) -> str:
    if question.open:
        names = ", ".join(item.summary for item in question.items)
        title = question.title.rstrip(".?!")  # "Which one first?" ends in its own mark
        return kit.fallback(f"{title}? Which one did you mean: {names}?")
    return kit.fallback(f"{question.title}: {outcome_line(question)}")

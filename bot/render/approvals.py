"""Block Kit for approvals: the message approvers decide on, the requester's notes, and the lists
of ``/crosswire approvals`` and the Home tab (the modals are :mod:`bot.render.approval_modals`).

The approval message shows what exactly will be done (one section per item: to whom, why, and
a preview of the content), who asked, the policy rule that asked for a decision, and until when.
While it is open it has buttons, each carrying the approval id only; once decided or expired the
same content stays and the buttons give way to one line saying who decided and when.

People and rules are named through :class:`Words`; every value from the run goes
through :mod:`bot.render.mrkdwn`, and every block through :mod:`bot.render.kit`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, ButtonElement, DividerBlock

from bot.render import kit, limits
from bot.render.blocks import Rendering
from bot.render.mrkdwn import bold, date, plain
from workflows.approvals.models import Approval, ApprovalItem


def _as_is(value: str) -> str:
    return value


@dataclass(frozen=True)
class Words:
    """How approval messages name things: ``names`` an email as a person's name, ``rules`` a
    policy rule as its plain words (both leave what they do not know as it is)."""

    names: Callable[[str], str] = _as_is
    rules: Callable[[str], str] = _as_is


PLAIN = Words()

APPROVE_ALL = "approval.approve_all"
REVIEW = "approval.review"
EDIT = "approval.edit"
REJECT = "approval.reject"
ESCALATE = "approval.escalate"
ACTIONS = (APPROVE_ALL, REVIEW, EDIT, REJECT, ESCALATE)
"""The buttons' action ids; the modals' callback ids are the same as the buttons opening them."""

PREVIEW_CHARS = 700
"""A draft shown in the message: enough to judge it, short enough for ten of them."""


def who(emails: Sequence[str], names: Callable[[str], str]) -> str:
    """``Rachel Kim``, ``Rachel Kim or Victor Alvarez``, ``A, B or C``."""
    shown = [names(e) for e in emails]
    if len(shown) <= 1:
        return "".join(shown) or "nobody"
    return f"{', '.join(shown[:-1])} or {shown[-1]}"


# ---------------------------------------------------------------- the approval message


def approval_rendering(approval: Approval, words: Words = PLAIN) -> Rendering:
    """The message approvers see: buttons while it is open, the outcome once it is not."""
    blocks = [*_content(approval, words)]
    if approval.open:
        blocks.append(kit.actions(approval_buttons(approval)))
    else:
        blocks.append(kit.context(outcome_line(approval)))
    return Rendering(_fallback(approval), blocks)


def approval_buttons(approval: Approval) -> list[ButtonElement]:
    """Approve all, Review one by one, Edit (when something may be edited), Reject, Escalate."""
    value = approval.id
    approve = kit.button("Approve all", APPROVE_ALL, value)
    approve.style = "primary"
    reject = kit.button("Reject", REJECT, value)
    reject.style = "danger"
    buttons = [approve, kit.button("Review one by one", REVIEW, value)]
    if any(item.editable for item in approval.items):
        buttons.append(kit.button("Edit", EDIT, value))
    return [*buttons, reject, kit.button("Escalate", ESCALATE, value)]


def _deciders(approval: Approval, words: Words) -> str:
    return plain(who(approval.approvers, words.names))


def _content(approval: Approval, words: Words) -> list[Block]:
    why = plain(words.rules(approval.rule).rstrip("."))
    asked = f"{bold(approval.requester_name)} asked. {why}."
    if approval.open:  # once settled, the outcome line says who decided instead
        asked += f"\nWaiting for {_deciders(approval, words)} until {date(approval.expires_at)}."
    blocks: list[Block] = [kit.header(approval.title), kit.section(asked), DividerBlock()]
    blocks += [kit.section(text) for text in _item_texts(approval)]
    return blocks


def _item_texts(approval: Approval) -> list[str]:
    """Each item as asked; once approved, as approved: the edited text, or marked skipped."""
    if approval.status != "approved":
        return [item_text(item) for item in approval.items]
    approved = {item.index: item for item in approval.approved}
    texts: list[str] = []
    for item in approval.items:
        chosen = approved.get(item.index)
        if chosen is None:
            texts.append(f"_Skipped:_ {item_text(item.model_copy(update={'preview': ''}))}")
        elif chosen.args != item.args:
            edited = "\n\n".join(str(chosen.args[k]) for k in item.editable if chosen.args.get(k))
            texts.append(f"_Edited:_ {item_text(chosen.model_copy(update={'preview': edited}))}")
        else:
            texts.append(item_text(item))
    return texts


def item_text(item: ApprovalItem) -> str:
    """One item: its summary in bold, why, and the start of its content as a quote."""
    lines = [bold(limits.cut(item.summary, limits.HEADER_TEXT))]
    if item.why:
        lines.append(f"_Why:_ {plain(limits.cut(item.why, limits.INLINE_VALUE * 3))}")
    if item.preview:
        lines.append(_quote(limits.cut(item.preview, PREVIEW_CHARS)))
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "\n".join(f">{plain(line)}" if line.strip() else ">" for line in text.splitlines())


def outcome_line(approval: Approval) -> str:
    """Who decided and when: ``Approved by Rachel Kim at …``, ``Rejected by …: reason``."""
    by = plain(approval.decided_by_name or approval.decided_by or "someone")
    at = f" at {date(approval.decided_at)}" if approval.decided_at else ""
    match approval.status:
        case "approved":
            count = _approved_count(approval)
            return f":white_check_mark: Approved{count} by {by}{at}"
        case "rejected":
            reason = f": {plain(approval.reason)}" if approval.reason else ""
            return f":no_entry_sign: Rejected by {by}{at}{reason}"
        case "expired":
            return ":hourglass: Expired — nothing was sent"
        case _:
            return f"Waiting until {date(approval.expires_at)}"


def _approved_count(approval: Approval) -> str:
    approved, total = len(approval.approved), len(approval.items)
    edited = any(
        item.args != original.args
        for item in approval.approved
        for original in approval.items
        if original.index == item.index
    )
    part = f" {approved} of {total}" if approved and approved < total else ""
    return f"{part}{' (edited)' if edited else ''}"


def _fallback(approval: Approval) -> str:
    if approval.open:
        return kit.fallback(
            f"Approval needed: {approval.title} (asked by {approval.requester_name})"
        )
    return kit.fallback(f"{approval.title}: {approval.status}")


# ---------------------------------------------------------------- notes to the requester


def waiting_note(approval: Approval, words: Words = PLAIN) -> Rendering:
    """``Prepared 7 follow-up emails; waiting for Rachel Kim's approval until …``."""
    text = (
        f":hourglass_flowing_sand: Prepared {plain(_what(approval))}; waiting for "
        f"{_deciders(approval, words)}'s approval until {date(approval.expires_at)}."
    )
    return Rendering(text, [kit.section(text)])


def escalated_note(approval: Approval, added: Sequence[str], words: Words = PLAIN) -> Rendering:
    """``No answer from Rachel Kim; asked Victor Alvarez too, until …``."""
    earlier = [e for e in approval.approvers if e not in added]
    text = (
        f":arrow_up: No answer from {plain(who(earlier, words.names))}; asked "
        f"{plain(who(added, words.names))} too, until {date(approval.expires_at)}."
    )
    return Rendering(text, [kit.section(text)])


def settled_note(approval: Approval) -> Rendering:
    """What became of the approval: approved (what, by whom), rejected (why), expired."""
    by = plain(approval.decided_by_name or approval.decided_by or "someone")
    match approval.status:
        case "approved":
            done = ", ".join(item.summary for item in approval.approved)
            text = f":white_check_mark: {by} approved {plain(_count(approval.approved))}"
            text += f": {plain(limits.cut(done, limits.SECTION_TEXT // 2))}." if done else "."
        case "rejected":
            reason = f" Reason: {plain(approval.reason)}" if approval.reason else ""
            text = (
                f":no_entry_sign: {by} rejected {plain(_what(approval))}; nothing was sent.{reason}"
            )
        case "expired":
            text = (
                f":hourglass: Nobody decided on {plain(_what(approval))} in time; nothing was sent."
            )
        case _:
            text = f"Still waiting until {date(approval.expires_at)}."
    return Rendering(text, [kit.section(text)])


def _what(approval: Approval) -> str:
    """What the approval is about, in the requester's words: the title without its verb."""
    title = approval.title
    return title[len("Approve ") :] if title.startswith("Approve ") else title


def _count(items: Sequence[ApprovalItem]) -> str:
    return "1 item" if len(items) == 1 else f"{len(items)} items"


# ---------------------------------------------------------------- lists (command, home tab)


def approvals_list(
    waiting: Sequence[Approval], asked: Sequence[Approval], words: Words = PLAIN
) -> list[Block]:
    """ "Waiting for you" (each with its buttons) and "You asked for" (each with its state)."""
    blocks: list[Block] = [kit.header("Waiting for you")]
    if not waiting:
        blocks.append(kit.context("Nothing waits for your decision."))
    for approval in waiting:
        line = (
            f"{bold(approval.title)}\nAsked by {plain(approval.requester_name)}; "
            f"open until {date(approval.expires_at)}."
        )
        blocks += [kit.section(line), kit.actions(approval_buttons(approval))]
    blocks.append(kit.header("You asked for"))
    if not asked:
        blocks.append(kit.context("You have no approvals in flight."))
    for approval in asked:
        state = (
            f"waiting for {_deciders(approval, words)} until {date(approval.expires_at)}"
            if approval.open
            else outcome_line(approval)
        )
        blocks.append(kit.section(f"{bold(approval.title)}\n{state}"))
    return blocks


def approvals_list_text(waiting: Sequence[Approval], asked: Sequence[Approval]) -> str:
    return f"{len(waiting)} waiting for you; {len(asked)} you asked for."

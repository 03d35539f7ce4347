"""The modals an approval button opens, and the one that says what came of a submission.

Review one by one (an Approve / Skip choice per item), Edit (a text input per editable
argument, filled with its current value) and Reject (an optional reason). Each carries the
approval id, and only that, as ``private_metadata``; its callback id is the action id of the
button that opened it. :mod:`bot.listeners.approval_forms` reads the submitted values back by
the block ids named here.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.render import kit, limits
from bot.render.approvals import EDIT, REJECT, REVIEW, item_text
from bot.render.mrkdwn import bold
from workflows.approvals.models import Approval, ApprovalItem

MODAL_TITLE = 24
INPUT_VALUE = 3_000
REASON_BLOCK, REASON_ACTION = "reason", "value"
CHOICE_ACTION = "choice"
EDIT_ACTION = "value"
MULTILINE_ARGS = frozenset({"body", "text", "message", "note", "description"})


def review_modal(approval: Approval) -> View:
    """Each item with an Approve / Skip choice (Approve chosen); submitted as ``REVIEW``."""
    blocks: list[Block] = []
    for item in approval.items:
        blocks.append(kit.section(item_text(item)))
        blocks.append(
            InputBlock(
                block_id=item_block(item),
                label=_label(f"Item {item.index + 1}"),
                element=RadioButtonsElement(
                    action_id=CHOICE_ACTION,
                    options=[_option("Approve", "approve"), _option("Skip", "skip")],
                    initial_option=_option("Approve", "approve"),
                ),
            )
        )
    return _modal(REVIEW, "Review one by one", approval, blocks, submit="Approve chosen")


def edit_modal(approval: Approval) -> View:
    """A text input for each editable argument of each item, filled with its current value."""
    blocks: list[Block] = []
    for item in approval.items:
        if not item.editable:
            continue
        blocks.append(kit.section(bold(limits.cut(item.summary, limits.HEADER_TEXT))))
        for name in item.editable:
            value = str(item.args.get(name, ""))
            blocks.append(
                InputBlock(
                    block_id=edit_block(item, name),
                    label=_label(name.replace("_", " ").capitalize()),
                    element=PlainTextInputElement(
                        action_id=EDIT_ACTION,
                        initial_value=value[:INPUT_VALUE],
                        multiline=name in MULTILINE_ARGS or len(value) > limits.INLINE_VALUE,
                        max_length=INPUT_VALUE,
                    ),
                )
            )
    return _modal(EDIT, "Edit and approve", approval, blocks, submit="Approve edited")


def reject_modal(approval: Approval) -> View:
    """An optional reason, told to the requester and kept in the audit."""
    reason = InputBlock(
        block_id=REASON_BLOCK,
        label=_label("Reason (optional)"),
        optional=True,
        element=PlainTextInputElement(
            action_id=REASON_ACTION, multiline=True, max_length=INPUT_VALUE
        ),
    )
    blocks: list[Block] = [
        kit.section(f"Reject {bold(approval.title)}? Nothing will be sent."),
        reason,
    ]
    return _modal(REJECT, "Reject", approval, blocks, submit="Reject")


def result_modal(title: str, text: str) -> View:
    """What became of a submitted modal: one line, and a button to close it."""
    return View(
        type="modal",
        title=_label(limits.cut(title, MODAL_TITLE)),
        close=_label("Close"),
        blocks=[kit.section(text)],
    )


def item_block(item: ApprovalItem) -> str:
    return f"item-{item.index}"


def edit_block(item: ApprovalItem, name: str) -> str:
    return f"edit-{item.index}-{name}"


def _modal(
    callback: str, title: str, approval: Approval, blocks: list[Block], *, submit: str
) -> View:
    return View(
        type="modal",
        callback_id=callback,
        private_metadata=approval.id,
        title=_label(limits.cut(title, MODAL_TITLE)),
        submit=_label(limits.cut(submit, MODAL_TITLE)),
        close=_label("Cancel"),
        blocks=kit.surface(blocks),
    )


def _label(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text), value=value)

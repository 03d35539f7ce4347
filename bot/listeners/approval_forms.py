"""What a submitted approval form says: the items chosen, the items as edited, the reason.

A submitted modal's ``view.state.values`` maps each input's block id and action id to what the
person chose or typed (:mod:`bot.render.approvals` names the blocks). Only those values are
read; which items exist and what may be edited come from the stored approval, and the desk
checks the result again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.render.approval_modals import (
    CHOICE_ACTION,
    EDIT_ACTION,
    REASON_ACTION,
    REASON_BLOCK,
    edit_block,
    item_block,
)
from workflows.approvals.models import Approval, ApprovalItem

EMPTIED = "Please write something here; to send nothing, use Reject instead."


def reviewed_items(approval: Approval, view: Mapping[str, Any]) -> tuple[ApprovalItem, ...]:
    """The items the form showed and left on Approve. An item the form could not show (past
    a modal's 100 blocks) is not approved: nobody chose it."""
    values, shown = _values(view), _block_ids(view)
    return tuple(
        item
        for item in approval.items
        if item_block(item) in shown
        and _selected(values, item_block(item), CHOICE_ACTION) in (None, "approve")
    )


def edited_items(approval: Approval, view: Mapping[str, Any]) -> tuple[ApprovalItem, ...]:
    """Every item, with its editable arguments as typed (an input not submitted is unchanged)."""
    values = _values(view)
    edited: list[ApprovalItem] = []
    for item in approval.items:
        args = dict(item.args)
        for name in item.editable:
            typed = _typed(values, edit_block(item, name), EDIT_ACTION)
            if typed is not None:
                args[name] = typed
        edited.append(item.model_copy(update={"args": args}))
    return tuple(edited)


def empty_edits(view: Mapping[str, Any]) -> dict[str, str]:
    """The edit inputs left empty, each with what to say under it (Slack's ``errors``)."""
    errors: dict[str, str] = {}
    for block_id, actions in _values(view).items():
        if not block_id.startswith("edit-"):
            continue
        typed = _typed({block_id: actions}, block_id, EDIT_ACTION)
        if not (typed or "").strip():
            errors[block_id] = EMPTIED
    return errors


def reason_of(view: Mapping[str, Any]) -> str | None:
    """The reason typed into the Reject form, or None when it was left empty."""
    typed = _typed(_values(view), REASON_BLOCK, REASON_ACTION)
    return typed.strip() or None if typed else None


def _block_ids(view: Mapping[str, Any]) -> set[str]:
    blocks = view.get("blocks")
    found = blocks if isinstance(blocks, list) else []
    return {str(b.get("block_id")) for b in found if isinstance(b, Mapping)}


def _values(view: Mapping[str, Any]) -> dict[str, Any]:
    state = view.get("state") if isinstance(view.get("state"), Mapping) else {}
    values = (state or {}).get("values")
    return dict(values) if isinstance(values, Mapping) else {}


def _element(values: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    element = block.get(action_id) if isinstance(block, Mapping) else None
    return element if isinstance(element, Mapping) else {}


def _selected(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    option = _element(values, block_id, action_id).get("selected_option")
    value = option.get("value") if isinstance(option, Mapping) else None
    return str(value) if value is not None else None


def _typed(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    element = _element(values, block_id, action_id)
    if "value" not in element:
        return None
    return str(element["value"] or "")

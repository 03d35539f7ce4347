"""The approval message and its modals stay within Block Kit's limits, whatever the drafts."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render import kit
from bot.render.approval_modals import edit_modal, reject_modal, review_modal
from bot.render.approvals import approval_rendering, outcome_line
from bot.sandbox.block_kit_limits import check_blocks, check_message
from tests.bot.approval_env import RACHEL_EMAIL, an_approval
from tests.harness import block_texts
from workflows.approvals import Approval, ApprovalItem

NOW = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)


def with_items(count: int, *, preview: str, summary: str = "Email someone") -> Approval:
    approval = an_approval(NOW, count=count)
    items = tuple(
        ApprovalItem(
            index=i,
            args={"to": f"p{i}@x.example", "subject": "S", "body": preview},
            summary=summary,
            why="w" * 2_000,
            preview=preview,
            editable=("subject", "body"),
        )
        for i in range(count)
    )
    return approval.model_copy(update={"items": items})


def test_forty_long_drafts_fit_one_message() -> None:
    approval = with_items(40, preview="word " * 2_000)
    shown = approval_rendering(approval)
    blocks = kit.fit(shown.blocks)

    check_message({"text": kit.fallback(shown.text), "blocks": blocks})  # raises if Slack would
    assert blocks[-1]["type"] == "actions"  # the buttons survive the cut
    assert "…" in block_texts(blocks)


def test_sixty_items_leave_out_the_rest_and_say_so() -> None:
    blocks = kit.fit(approval_rendering(with_items(60, preview="short")).blocks)

    check_message({"text": "x", "blocks": blocks})
    assert "more not shown here" in block_texts(blocks[-1])


def test_modals_stay_within_a_surface() -> None:
    approval = with_items(60, preview="p" * 4_000)
    for modal in (review_modal(approval), edit_modal(approval), reject_modal(approval)):
        view = modal.to_dict()
        check_blocks(view["blocks"], 100, "/view/blocks")
        assert view["private_metadata"] == approval.id
    prefilled = edit_modal(approval).to_dict()["blocks"]
    bodies = [b for b in prefilled if b.get("block_id", "").endswith("-body")]
    assert all(len(b["element"]["initial_value"]) <= 3_000 for b in bodies)


def test_what_a_run_found_is_shown_as_text_never_as_formatting() -> None:
    approval = with_items(1, preview="<!channel> *now*", summary="Email <@U123> _x_")
    shown = block_texts(kit.fit(approval_rendering(approval).blocks))

    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "<@U123>" not in shown


def test_the_outcome_names_who_decided_and_what() -> None:
    approval = an_approval(NOW, count=3)
    part = approval.model_copy(
        update={
            "status": "approved",
            "decided_by": RACHEL_EMAIL,
            "decided_by_name": "Rachel Kim",
            "decided_at": NOW,
            "approved": approval.items[:2],
        }
    )
    assert outcome_line(part).startswith(":white_check_mark: Approved 2 of 3 by Rachel Kim at ")
    settled = approval_rendering(part)
    assert all(b.type != "actions" for b in settled.blocks)
    assert settled.text == "Approve 3 follow-up emails for Dana Reyes: approved"

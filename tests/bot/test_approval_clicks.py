"""Approval buttons and modals through the real Bolt app, desk and store, on SQLite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text
from structlog.testing import capture_logs

from bot.render.approvals import APPROVE_ALL, EDIT, ESCALATE, REJECT, REVIEW
from bot.sandbox import payloads
from bot.settings import Settings
from tests.bot.approval_env import (
    DANA_EMAIL,
    RACHEL,
    RACHEL_EMAIL,
    VICTOR_EMAIL,
    ApprovalsHarness,
    start_approvals,
)
from tests.harness import DANA, STRANGER
from workflows.audit.tables import events


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[ApprovalsHarness]:
    async with start_approvals(settings) as harness:
        yield harness


async def approval_events(env: ApprovalsHarness, run_id: str) -> list[dict[str, Any]]:
    """The run's "approval" audit events, oldest first."""
    query = (
        select(events.c.detail)
        .where(events.c.run_id == run_id, events.c.kind == "approval")
        .order_by(events.c.id)
    )
    async with env.slack.services.audit.engine.connect() as conn:
        return [dict(row.detail) for row in await conn.execute(query)]


async def test_approve_all_acks_at_once_and_decides_once(env: ApprovalsHarness) -> None:
    approval = await env.create()
    started = time.perf_counter()
    response = await env.slack.send(env.click(APPROVE_ALL, approval, RACHEL))
    assert response.status == 200
    assert time.perf_counter() - started < 3.0

    await env.wakes.reached()
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "approved"
    assert (stored.decided_by, stored.decided_by_name) == (RACHEL_EMAIL, "Rachel Kim")
    assert stored.approved == approval.items
    [(run_id, message, _, key)] = env.wakes.sent
    assert (run_id, message["wake"], key) == (approval.run_id, "decided", f"{approval.id}:decided")
    await asyncio.sleep(0.05)
    assert env.told(RACHEL) == []  # a decision that wins shows in the message itself


async def test_two_clicks_at_once_give_one_decision(env: ApprovalsHarness) -> None:
    approval = await env.create()
    first, second = (
        env.click(APPROVE_ALL, approval, RACHEL),
        env.click(APPROVE_ALL, approval, RACHEL),
    )
    await asyncio.gather(env.slack.send(first), env.slack.send(second))

    await env.wakes.reached()
    await env.standin.wait_for(lambda _: len(env.told(RACHEL)) == 1)
    await asyncio.sleep(0.05)
    assert len(env.wakes.sent) == 1
    [told] = env.told(RACHEL)
    assert told.startswith("Already approved by Rachel Kim at 14:00 UTC")


async def test_the_requester_clicking_approve_is_refused_to_her_alone(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    await env.slack.send(env.click(APPROVE_ALL, approval, DANA))

    [told] = await env.slack.wait_only_for(DANA)
    assert told["text"] == "You asked for this, so someone else must approve it."
    assert told["via"] == "response_url"
    assert env.standin.ephemerals(RACHEL) == []
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.open and env.wakes.sent == []
    [refused] = await approval_events(env, approval.run_id)
    assert (refused["outcome"], refused["by"]) == ("refused", DANA_EMAIL)


async def test_someone_outside_the_directory_is_told_why(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(env.click(APPROVE_ALL, approval, STRANGER))

    [told] = await env.slack.wait_only_for(STRANGER)
    assert "does not match anyone in the company directory" in told["text"]
    assert env.wakes.sent == []


async def test_review_one_by_one_approves_the_items_left_on(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(env.click(REVIEW, approval, RACHEL))

    await env.standin.wait_for(lambda s: len(s.views()) == 1)
    [modal] = env.standin.views()
    assert (modal["callback_id"], modal["private_metadata"]) == (REVIEW, approval.id)
    values = {
        f"item-{i}": {"choice": {"type": "radio_buttons", "selected_option": {"value": v}}}
        for i, v in enumerate(["approve", "skip", "approve"])
    }
    response = await env.slack.send(payloads.view_submission(modal, values, user_id=RACHEL))
    assert response.status == 200
    assert '"response_action": "update"' in response.body

    await env.standin.wait_for(lambda s: "Approved 2 of 3" in str(s.views()[0]["blocks"]))
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "approved"
    assert [i.index for i in stored.approved] == [0, 2]


async def test_skipping_every_item_rejects(env: ApprovalsHarness) -> None:
    approval = await env.create(count=2)
    await env.slack.send(env.click(REVIEW, approval, RACHEL))
    await env.standin.wait_for(lambda s: len(s.views()) == 1)
    values = {
        f"item-{i}": {"choice": {"type": "radio_buttons", "selected_option": {"value": "skip"}}}
        for i in range(2)
    }
    await env.slack.send(payloads.view_submission(env.standin.views()[0], values, user_id=RACHEL))

    await env.wakes.reached()
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "rejected"
    assert stored.reason == "Every item was skipped"


def edits(body: str, count: int = 3) -> dict[str, dict[str, dict[str, Any]]]:
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for i in range(count):
        values[f"edit-{i}-subject"] = {"value": {"type": "plain_text_input", "value": f"S{i}"}}
        values[f"edit-{i}-body"] = {"value": {"type": "plain_text_input", "value": body}}
    return values


async def test_edit_prefills_each_draft_and_approves_the_edited_text(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    await env.slack.send(env.click(EDIT, approval, RACHEL))
    await env.standin.wait_for(lambda s: len(s.views()) == 1)
    [modal] = env.standin.views()
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    body = next(b for b in inputs if b["block_id"] == "edit-1-body")
    assert body["element"]["multiline"] is True
    assert body["element"]["initial_value"] == approval.items[1].args["body"]

    emptied = await env.slack.send(payloads.view_submission(modal, edits(""), user_id=RACHEL))
    assert '"response_action": "errors"' in emptied.body and "edit-0-body" in emptied.body
    assert env.wakes.sent == []

    await env.slack.send(payloads.view_submission(modal, edits("Hi, shorter."), user_id=RACHEL))
    await env.wakes.reached()
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "approved"
    assert [i.args["body"] for i in stored.approved] == ["Hi, shorter."] * 3
    assert stored.approved_fingerprint not in (None, approval.fingerprint)


async def test_reject_with_a_reason(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(env.click(REJECT, approval, RACHEL))
    await env.standin.wait_for(lambda s: len(s.views()) == 1)
    values = {"reason": {"value": {"type": "plain_text_input", "value": " Too pushy. "}}}
    await env.slack.send(payloads.view_submission(env.standin.views()[0], values, user_id=RACHEL))

    await env.standin.wait_for(lambda s: "Rejected" in str(s.views()[0]["blocks"]))
    stored = await env.store.get(approval.id)
    assert stored is not None and (stored.status, stored.reason) == ("rejected", "Too pushy.")


async def test_no_form_opens_for_someone_who_may_not_decide(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(env.click(REVIEW, approval, DANA))

    [told] = await env.slack.wait_only_for(DANA)
    assert "someone else must approve it" in told["text"]
    assert env.standin.calls_to("views.open") == []


async def test_a_form_on_a_decided_approval_says_who_decided(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(env.click(APPROVE_ALL, approval, RACHEL))
    await env.wakes.reached()
    await env.slack.send(env.click(REJECT, approval, RACHEL))

    [told] = await env.slack.wait_only_for(RACHEL)
    assert told["text"].startswith("Already approved by Rachel Kim")
    assert env.standin.calls_to("views.open") == []


async def test_escalate_asks_the_approvers_manager_too(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(env.click(ESCALATE, approval, RACHEL))

    [told] = await env.slack.wait_only_for(RACHEL)
    assert told["text"].startswith("Asked Victor Alvarez too")
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.level == 1
    assert VICTOR_EMAIL in stored.approvers


async def test_a_form_slack_will_not_open_is_said_plainly(env: ApprovalsHarness) -> None:
    approval = await env.create()
    env.standin.fail_next("views.open", "expired_trigger_id")
    await env.slack.send(env.click(REVIEW, approval, RACHEL))

    [told] = await env.slack.wait_only_for(RACHEL)
    assert told["text"] == "Slack would not open the form just now; please click the button again."


async def test_anything_unexpected_is_a_polite_line_to_the_clicker_and_a_log_entry(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    async with env.slack.services.audit.engine.begin() as conn:
        await conn.execute(text("DROP TABLE approvals"))  # the store breaks under the click

    with capture_logs() as logs:
        await env.slack.send(env.click(APPROVE_ALL, approval, RACHEL))
        [told] = await env.slack.wait_only_for(RACHEL)

    assert told["text"].startswith("Sorry, something went wrong on my side.")
    assert "Traceback" not in told["text"]
    assert any(entry["event"] == "slack.unhandled_error" for entry in logs)


async def test_an_item_a_cut_review_form_never_showed_is_not_approved(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create(count=60)  # 120 blocks: past a modal's 100
    await env.slack.send(env.click(REVIEW, approval, RACHEL))
    await env.standin.wait_for(lambda s: len(s.views()) == 1)
    [modal] = env.standin.views()
    shown = [b["block_id"] for b in modal["blocks"] if b["type"] == "input"]
    assert 0 < len(shown) < 60

    await env.slack.send(payloads.view_submission(modal, {}, user_id=RACHEL))
    await env.wakes.reached()
    stored = await env.store.get(approval.id)
    assert stored is not None
    assert [f"item-{i.index}" for i in stored.approved] == shown

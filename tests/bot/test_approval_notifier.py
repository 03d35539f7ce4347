"""The Slack approval notifier against the Web API stand-in: where approvals are posted, the
requester's notes, every copy settled, and a post repeated by a retried step made once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dbos import DBOS

from bot.reporters.approvals import APPROVAL_EVENT, SlackApprovalNotifier
from bot.settings import Settings
from bot.slack_client import web_client
from tests.bot.approval_env import (
    RACHEL_EMAIL,
    THREAD,
    VICTOR_EMAIL,
    ApprovalsHarness,
    an_approval,
    start_approvals,
)
from tests.harness import CHANNEL, DANA, TOKEN, block_texts
from tests.workflows.approvals.org import OrgChart
from workflows.approvals import Approval, MessageRef
from workflows.approvals.policy import ApprovalPolicy
from workflows.errors import PermanentDeliveryError
from workflows.models import Objective, Principal, ReplyTarget, RunRequest

APPROVALS_CHANNEL = "C0APPROVALS"
RACHEL_DM = "D0RACHEL"


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[ApprovalsHarness]:
    async with start_approvals(settings) as harness:
        yield harness


def notifier(env: ApprovalsHarness, channel: str | None = None) -> SlackApprovalNotifier:
    client = web_client(TOKEN, env.standin.base_url)
    return SlackApprovalNotifier(client, OrgChart(), channel, ApprovalPolicy.load())


def request_for(approval: Approval) -> RunRequest:
    objective = Objective(
        text="follow up with last week's webinar attendees",
        trigger="slack_mention",
        trigger_id="Ev0FOLLOWUP",
        reply=approval.reply,
        received_at=approval.created_at,
    )
    dana = Principal(email=approval.requester_email, name=approval.requester_name)
    return RunRequest(run_id=approval.run_id, objective=objective, principal=dana)


async def test_requested_posts_to_each_approver_and_notes_the_thread(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    refs = await notifier(env).requested(approval, request_for(approval))

    [ref] = refs
    assert (ref.channel, ref.approver) == (RACHEL_DM, RACHEL_EMAIL)
    [posted] = env.standin.messages(RACHEL_DM)
    assert posted.ts == ref.ts
    assert posted.metadata == {
        "event_type": APPROVAL_EVENT,
        "event_payload": {"approval_id": approval.id, "level": 0},
    }
    shown = block_texts(posted.blocks)
    assert "Approve 3 follow-up emails for Dana Reyes" in shown
    assert "Emails to customers and prospects need a manager" in shown
    assert "Attended the webinar; no demo booked (lead 1)" in shown
    assert "<!date^" in shown
    actions = [b for b in posted.blocks or [] if b["type"] == "actions"]
    [buttons] = [a["elements"] for a in actions]
    assert [b["text"]["text"] for b in buttons] == [
        "Approve all",
        "Review one by one",
        "Edit",
        "Reject",
        "Escalate",
    ]
    assert {b["value"] for b in buttons} == {approval.id}
    assert posted.text.startswith("Approval needed: Approve 3 follow-up emails")

    [note] = [m for m in env.slack.thread(CHANNEL, THREAD) if m.ts != THREAD]
    assert note.text.startswith(
        ":hourglass_flowing_sand: Prepared 3 follow-up emails for Dana Reyes; "
        "waiting for Rachel Kim's approval until <!date^"
    )


async def test_an_approvals_channel_gets_one_post_instead_of_dms(env: ApprovalsHarness) -> None:
    approval = await env.create(approvers=(RACHEL_EMAIL, VICTOR_EMAIL))
    refs = await notifier(env, APPROVALS_CHANNEL).requested(approval, request_for(approval))

    assert [(r.channel, r.approver) for r in refs] == [(APPROVALS_CHANNEL, "")]
    assert len(env.standin.messages(APPROVALS_CHANNEL)) == 1
    assert env.standin.calls_to("users.lookupByEmail") == []
    assert "Rachel Kim or Victor Alvarez" in block_texts(
        env.standin.messages(APPROVALS_CHANNEL)[0].blocks
    )


async def test_an_approver_slack_does_not_know_is_skipped_and_none_at_all_is_refused(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create(approvers=("nobody@northwind.example", RACHEL_EMAIL))
    refs = await notifier(env).requested(approval, request_for(approval))
    assert [r.approver for r in refs] == [RACHEL_EMAIL]

    lost = an_approval(env.clock.now(), run_id="run-lost", approvers=("nobody@northwind.example",))
    with pytest.raises(PermanentDeliveryError, match="could be found in Slack"):
        await notifier(env).requested(lost, request_for(lost))


async def test_settled_edits_every_copy_and_tells_the_requester(env: ApprovalsHarness) -> None:
    approval = await env.create()
    refs = await notifier(env).requested(approval, request_for(approval))
    await env.store.add_messages(approval.id, refs)
    answer = await env.approvals.desk.decide(approval.id, RACHEL_EMAIL, "approve")
    assert answer.approval is not None

    await notifier(env).settled(answer.approval, request_for(approval))

    [copy] = env.standin.messages(RACHEL_DM)
    assert copy.edits == 1
    assert [b["type"] for b in copy.blocks or []].count("actions") == 0
    final = block_texts(copy.blocks)
    assert "Approved by Rachel Kim at <!date^" in final
    assert "Attended the webinar" in final  # the same content, without the buttons
    notes = [m.text for m in env.slack.thread(CHANNEL, THREAD)]
    assert notes[-1].startswith(":white_check_mark: Rachel Kim approved 3 items: Email Lead 0")


async def test_a_rejection_and_an_expiry_say_nothing_was_sent(env: ApprovalsHarness) -> None:
    approval = await env.create()
    refs = await notifier(env).requested(approval, request_for(approval))
    rejected = replace_status(approval, refs, "rejected", reason="Too pushy")
    await notifier(env).settled(rejected, request_for(approval))
    expired = replace_status(approval, refs, "expired")
    await notifier(env).settled(expired, request_for(approval))

    [copy] = env.standin.messages(RACHEL_DM)
    assert "Expired — nothing was sent" in block_texts(copy.blocks)
    assert "Rejected by Rachel Kim" in block_texts(copy.history[-1].blocks)
    assert "Too pushy" in block_texts(copy.history[-1].blocks)
    *_, rejected_note, expired_note = [m.text for m in env.slack.thread(CHANNEL, THREAD)]
    assert "Rachel Kim rejected 3 follow-up emails for Dana Reyes; nothing was sent." in (
        rejected_note
    )
    assert "Reason: Too pushy" in rejected_note
    assert "in time; nothing was sent" in expired_note


def replace_status(
    approval: Approval, refs: tuple[MessageRef, ...], status: str, reason: str | None = None
) -> Approval:
    return approval.model_copy(
        update={
            "status": status,
            "decided_by": RACHEL_EMAIL,
            "decided_by_name": "Rachel Kim",
            "decided_at": approval.created_at,
            "reason": reason,
            "messages": refs,
        }
    )


async def test_escalated_posts_to_the_added_approver_and_notes_the_thread(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    refs = await notifier(env).requested(approval, request_for(approval))
    widened = approval.model_copy(
        update={"approvers": (RACHEL_EMAIL, VICTOR_EMAIL), "level": 1, "messages": refs}
    )
    added = await notifier(env).escalated(widened, request_for(approval), (VICTOR_EMAIL,))

    [victor] = added
    assert victor.approver == VICTOR_EMAIL and victor.channel != RACHEL_DM
    [posted] = env.standin.messages(victor.channel)
    assert posted.metadata is not None and posted.metadata["event_payload"]["level"] == 1
    [rachels] = env.standin.messages(RACHEL_DM)
    assert "Rachel Kim or Victor Alvarez" in block_texts(rachels.blocks)  # edited in place
    notes = [m.text for m in env.slack.thread(CHANNEL, THREAD)]
    assert notes[-1].startswith(
        ":arrow_up: No answer from Rachel Kim; asked Victor Alvarez too, until <!date^"
    )


# A retried step: the first attempt's post reached Slack, its answer did not.
@DBOS.workflow(name="test.approval_requested")
async def requested_in_a_step(base_url: str, approval: Approval) -> list[MessageRef]:
    return await _requested_step(base_url, approval)


@DBOS.step(name="test.approval_requested.post", retries_allowed=True, interval_seconds=0.01)
async def _requested_step(base_url: str, approval: Approval) -> list[MessageRef]:
    client = web_client(TOKEN, base_url)
    sent = SlackApprovalNotifier(client, OrgChart(), None, ApprovalPolicy.load())
    return list(await sent.requested(approval, request_for(approval)))


async def test_a_retried_step_finds_its_posts_instead_of_posting_twice(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    env.standin.fail("chat.postMessage", accepted=True)  # the DM is posted; its answer is a 500
    handle = await DBOS.start_workflow_async(requested_in_a_step, env.standin.base_url, approval)
    [ref] = await handle.get_result()

    [dm] = env.standin.messages(RACHEL_DM)
    assert ref.ts == dm.ts
    assert len([m for m in env.slack.thread(CHANNEL, THREAD) if m.ts != THREAD]) == 1
    assert len(env.standin.calls_to("conversations.history")) >= 1


async def test_a_requester_who_asked_by_command_gets_the_note_in_that_channel(
    env: ApprovalsHarness,
) -> None:
    reply = ReplyTarget(kind="slack", channel=CHANNEL, user_id=DANA)
    approval = await env.create(reply=reply)
    request = request_for(approval)
    objective = request.objective.model_copy(update={"trigger": "slack_command"})
    await notifier(env).requested(approval, request.model_copy(update={"objective": objective}))

    [note] = [m for m in env.standin.messages(CHANNEL) if m.thread_ts is None]
    assert "waiting for Rachel Kim's approval" in note.text

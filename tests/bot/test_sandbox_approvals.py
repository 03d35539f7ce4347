"""The approval story in the terminal sandbox, with the real approval message, listeners, desk
and store: the buttons the bot posts to Rachel Kim are numbered, Dana cannot press them, Rachel
can, and her edit goes through the real Edit modal filled in at the terminal."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.reporters.approvals import SlackApprovalNotifier
from bot.sandbox import turns
from bot.sandbox.chat import SandboxChat
from bot.settings import Settings
from bot.slack_client import web_client
from tests.bot.approval_env import (
    RACHEL,
    RACHEL_EMAIL,
    START,
    ApprovalsHarness,
    start_approvals,
)
from tests.harness import DANA, SECRET, TOKEN
from tests.workflows.approvals.org import OrgChart
from workflows.approvals import Approval
from workflows.models import Objective, Principal, RunRequest

BUTTONS = "[1] Approve all  [2] Review one by one  [3] Edit  [4] Reject  [5] Escalate"


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[ApprovalsHarness]:
    async with start_approvals(settings) as harness:
        yield harness


@pytest.fixture
async def chat(env: ApprovalsHarness) -> SandboxChat:
    sandbox = SandboxChat(
        app=env.slack.app,
        standin=env.standin,
        signing_secret=SECRET,
        out=io.StringIO(),
        ansi=False,
    )
    sandbox.attach()
    return sandbox


async def post(env: ApprovalsHarness, approval: Approval) -> None:
    """Post ``approval`` the way a waiting run does: the notifier's ``requested``."""
    notifier = SlackApprovalNotifier(
        web_client(TOKEN, env.standin.base_url), OrgChart(), policy=env.approvals.policy
    )
    objective = Objective(
        text="follow up with last week's webinar attendees",
        trigger="slack_mention",
        trigger_id="EvSANDBOX1",
        reply=approval.reply,
        received_at=START,
    )
    dana = Principal(email=approval.requester_email, name="Dana Reyes", slack_user_id=DANA)
    request = RunRequest(run_id=approval.run_id, objective=objective, principal=dana)
    await notifier.requested(approval, request)


def printed(chat: SandboxChat) -> str:
    assert isinstance(chat.out, io.StringIO)
    return chat.out.getvalue()


async def test_rachel_edits_and_approves_from_the_terminal(
    env: ApprovalsHarness, chat: SandboxChat
) -> None:
    approval = await env.create(count=2)
    await post(env, approval)
    out = printed(chat)
    assert "crosswire (DM to Rachel Kim)> " in out
    assert BUTTONS in out

    await chat.converse("/press 1")
    assert f"only they can press it (/as {RACHEL_EMAIL} to be them)" in printed(chat)
    await chat.converse(f"/as {RACHEL_EMAIL}")
    assert chat.me.user_id == RACHEL  # the id the workspace already had for her

    # subject and body of each of the two emails: keep all but the second body
    answers = ["", "", "", "Hi Lead 1,", "", "Shall we book a demo?", ".", "y"]
    chat.read_from(io.StringIO("".join(a + "\n" for a in answers)))
    await chat.converse("/press 3")
    out = printed(chat)
    assert "┌ Edit and approve" in out
    assert "Subject [Following up on the webinar, 0]: " in out

    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "approved"
    assert stored.decided_by == RACHEL_EMAIL
    edited = [item.args["body"] for item in stored.approved]
    assert edited == [approval.items[0].args["body"], "Hi Lead 1,\n\nShall we book a demo?"]
    assert [message["wake"] for _, message, _, _ in env.wakes.sent] == ["decided"]
    assert "Approved all 2 items; the run carries on now." in out
    assert "nothing was submitted" not in out

    await chat.converse("/press 1")  # the run would edit the message; here it still shows
    assert "crosswire (only you)> Already approved by Rachel Kim at 14:00 UTC" in printed(chat)
    assert len(env.wakes.sent) == 1


async def test_a_rejection_with_its_reason_typed_at_the_terminal(
    env: ApprovalsHarness, chat: SandboxChat
) -> None:
    approval = await env.create()
    await post(env, approval)
    await chat.converse(f"/as {RACHEL_EMAIL}")
    chat.read_from(io.StringIO("Not before the pricing change.\n.\ny\n"))
    await chat.converse("/press 4")
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "rejected"
    assert stored.reason == "Not before the pricing change."
    assert stored.approved == ()


async def test_what_waits_for_rachel_is_listed_with_buttons_she_can_press(
    env: ApprovalsHarness, chat: SandboxChat
) -> None:
    approval = await env.create()
    await post(env, approval)  # buttons 1 to 5, in her DM
    await chat.converse(f"/as {RACHEL_EMAIL}")
    await chat.converse("/crosswire approvals")
    listing = printed(chat).rsplit("crosswire (only you)> ", 1)[1]
    assert "[6] Approve all" in listing
    chat.interactions.timeout = 0.3  # no run here edits the message once the click wins
    await chat.converse("/press 6")
    assert "the app took the click; nothing has changed yet" in printed(chat)
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "approved"
    assert [message["wake"] for _, message, _, _ in env.wakes.sent] == ["decided"]


async def test_a_run_waiting_for_an_approval_ends_the_requesters_turn(
    env: ApprovalsHarness, chat: SandboxChat
) -> None:
    before = len(env.standin.calls)
    await post(env, await env.create())  # the approval DM, then the note in Dana's thread
    calls = env.standin.calls[before:]
    assert not turns.answered(calls[:-1]) and turns.answered(calls)
    assert turns.settled(calls)

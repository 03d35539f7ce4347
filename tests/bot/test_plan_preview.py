"""The plan preview through the real bot: a plan that writes is shown to Dana in her thread,
with its steps, their systems and which will wait for whose approval, and runs only once she
presses Run. Real Bolt app, the Slack Web API stand-in, real DBOS; SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from dbos import DBOS

from bot.render.previews import CANCEL, RUN
from bot.reporters.previews import PREVIEW_EVENT
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from tests.bot.approval_story import (
    OBJECTIVE,
    RACHEL,
    RUN_TIMEOUT_S,
    START,
    Story,
    activities_logged_by,
    buttons,
    sent_by,
    start_story,
)
from tests.bot.test_approval_story import shown
from tests.harness import CHANNEL, DANA
from tests.state import seeded, seeded_postgres
from workflows.approvals import Approval, approval_id
from workflows.approvals.models import preview_id
from workflows.clock import ManualClock

PREVIEW_TTL = timedelta(minutes=30)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    state = tmp_path / "state"
    common = {"scheduler": False, "step_timeout_s": 2.0, "previews": True}
    if request.param == "sqlite":
        yield Settings(state_dir=seeded(state, START), preview_ttl=PREVIEW_TTL, **common)
        return
    async with seeded_postgres(state, START) as url:
        yield Settings(state_dir=state, preview_ttl=PREVIEW_TTL, database_url=url, **common)


@pytest.fixture
async def story(settings: Settings) -> AsyncIterator[Story]:
    async with start_story(settings, ManualClock(START)) as started:
        yield started


async def ask(story: Story, event_id: str, text: str = OBJECTIVE) -> tuple[str, str]:
    """Dana mentions the bot in the channel; the run id and her message's ts."""
    ts = payloads.new_ts()
    mention = payloads.app_mention(text, user=DANA, channel=CHANNEL, ts=ts, event_id=event_id)
    assert (await story.slack.send(mention)).status == 200
    return f"slack-{event_id}", ts


def preview_posts(story: Story, thread_ts: str) -> list[PostedMessage]:
    return [
        m
        for m in story.slack.thread(CHANNEL, thread_ts)
        if m.metadata is not None and m.metadata.get("event_type") == PREVIEW_EVENT
    ]


async def step_done(run_id: str, name: str) -> None:
    """Wait until the run has checkpointed the step ``name``."""
    async with asyncio.timeout(RUN_TIMEOUT_S):
        while True:
            steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
            if any(s["function_name"] == name and s["completed_at_epoch_ms"] for s in steps):
                return
            await asyncio.sleep(0.02)


async def previewed(story: Story, event_id: str) -> tuple[str, str, PostedMessage]:
    """Dana asks for the webinar follow-up; returns once its preview is shown and waits."""
    run_id, ts = await ask(story, event_id)
    await story.standin.wait_for(lambda _: bool(preview_posts(story, ts)), RUN_TIMEOUT_S)
    await step_done(run_id, "preview:show")
    [post] = preview_posts(story, ts)
    return run_id, ts, post


def press(story: Story, post: PostedMessage, action: str, user: str = DANA) -> payloads.Payload:
    return story.click(post, action, user)


async def told_after_press(story: Story, post: PostedMessage) -> str:
    """What Dana alone is told when she presses Run (after what she was told before)."""
    before = len(story.told(DANA))
    assert (await story.slack.send(press(story, post, RUN))).status == 200
    await story.standin.wait_for(lambda _: len(story.told(DANA)) > before, RUN_TIMEOUT_S)
    return story.told(DANA)[-1]


async def the_preview(story: Story, run_id: str) -> Approval:
    found = await story.slack.services.desk.store.get(preview_id(run_id))
    assert found is not None
    return found


async def audited(story: Story, run_id: str, kind: str) -> list[dict[str, object]]:
    detail = await story.slack.services.audit.get_run(run_id)
    assert detail is not None
    return [dict(e.detail) for e in detail.events if e.kind == kind]


async def test_a_plan_that_writes_is_shown_with_its_steps_and_approvals_before_it_runs(
    story: Story,
) -> None:
    run_id, _, post = await previewed(story, "Ev0PREVIEW")

    text = shown(post)
    assert "Last week's webinar attendees*, from Marketing" in text
    assert "7. *Follow-up emails*, in Mailbox" in text
    assert "needs approval by Rachel Kim" in text
    assert "Emails to customers and prospects need a manager's approval" in text
    assert "CRM activities for the emails sent*, in CRM (no approval needed)" in text
    assert text.count("needs approval") == 1
    assert [(b["text"]["text"], b["value"]) for b in buttons(post)] == [
        ("Run", preview_id(run_id)),
        ("Cancel", preview_id(run_id)),
    ]
    # Nothing ran: no step of the plan, no approval, no email.
    steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
    assert not [s for s in steps if str(s["function_name"]).startswith("step:")]
    assert await story.slack.services.desk.store.get(approval_id(run_id, "send")) is None
    assert await sent_by(story.world, run_id) == []
    preview = await the_preview(story, run_id)
    assert preview.requester_email == "dana.reyes@northwind.example"
    assert preview.expires_at == START + PREVIEW_TTL


async def test_run_continues_the_run_once_to_the_approval(story: Story) -> None:
    run_id, ts, post = await previewed(story, "Ev0RUN")

    assert (await story.slack.send(press(story, post, RUN))).status == 200
    await story.standin.wait_for(lambda _: bool(story.approval_posts(run_id)), RUN_TIMEOUT_S)
    await story.waiting(run_id)
    assert (await story.slack.send(press(story, post, RUN))).status == 200  # a second press
    await story.standin.wait_for(lambda _: bool(story.told(DANA)), RUN_TIMEOUT_S)

    assert story.told(DANA) == ["Already started by Dana Reyes at 14:00 UTC."]
    [approval_post] = story.approval_posts(run_id)
    assert approval_post.channel.startswith("D")
    [edited] = preview_posts(story, ts)
    assert not buttons(edited)
    assert "Started by Dana Reyes" in shown(edited)
    steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
    assert [s["function_name"] for s in steps].count("step:attendees") == 1
    outcomes = [d["outcome"] for d in await audited(story, run_id, "preview")]
    assert outcomes == ["shown", "run", "already_decided"]
    assert await sent_by(story.world, run_id) == []  # the emails still wait for Rachel


async def test_only_the_requester_may_press_run(story: Story) -> None:
    run_id, _, post = await previewed(story, "Ev0WRONG")

    assert (await story.slack.send(press(story, post, RUN, user=RACHEL))).status == 200
    await story.standin.wait_for(lambda _: bool(story.told(RACHEL)), RUN_TIMEOUT_S)

    assert story.told(RACHEL) == ["Only Dana Reyes can run or cancel this plan: it is theirs."]
    assert (await the_preview(story, run_id)).open
    [refused] = [d for d in await audited(story, run_id, "preview") if d["outcome"] == "refused"]
    assert refused["by"] == "rachel.kim@northwind.example"
    assert story.approval_posts(run_id) == []


async def test_cancel_ends_the_run_with_nothing_done(story: Story) -> None:
    run_id, ts, post = await previewed(story, "Ev0CANCEL")

    assert (await story.slack.send(press(story, post, CANCEL))).status == 200
    detail = await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)

    assert detail.run.status == "completed"
    [answer] = [e.detail for e in detail.events if e.kind == "answer"]
    assert answer["text"] == "Cancelled, nothing was done."
    assert await sent_by(story.world, run_id) == []
    assert await activities_logged_by(story.world, run_id) == []
    assert await story.slack.services.desk.store.get(approval_id(run_id, "send")) is None
    [edited] = preview_posts(story, ts)
    assert not buttons(edited)
    assert "Cancelled by Dana Reyes" in shown(edited)
    assert (await told_after_press(story, post)).startswith(
        "Already cancelled by Dana Reyes at 14:00 UTC"
    )


async def test_a_preview_nobody_runs_expires_and_nothing_is_done(story: Story) -> None:
    run_id, ts, post = await previewed(story, "Ev0EXPIRE")
    desk = story.slack.services.desk

    story.clock.advance(PREVIEW_TTL - timedelta(seconds=1))
    assert await desk.sweep() == 0
    story.clock.advance(timedelta(seconds=2))
    assert await desk.sweep() == 1
    detail = await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)

    assert (await the_preview(story, run_id)).status == "expired"
    [answer] = [e.detail for e in detail.events if e.kind == "answer"]
    assert "so the plan was cancelled; nothing was done" in str(answer["text"])
    assert await sent_by(story.world, run_id) == []
    [edited] = preview_posts(story, ts)
    assert "Nobody pressed Run in time" in shown(edited)
    assert "so the plan was cancelled" in await told_after_press(story, post)


async def test_a_plan_that_only_reads_runs_with_no_preview(story: Story) -> None:
    run_id, ts = await ask(story, "Ev0BRIEF", "brief me on Acme")
    detail = await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)

    assert detail.run.answer_kind == "briefing"
    assert preview_posts(story, ts) == []
    assert await story.slack.services.desk.store.get(preview_id(run_id)) is None
    steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
    assert not [s for s in steps if str(s["function_name"]).startswith("preview")]

"""A clarifying question through the real bot: "brief me on Summit" fits two customers, so
Rachel is asked which one, with a button per candidate and None of these, and her choice
continues the same run. Real Bolt app, the Slack Web API stand-in, real DBOS; SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from dbos import DBOS

from bot.render.clarify import NONE
from bot.reporters.previews import PREVIEW_EVENT
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from tests.bot.approval_story import (
    DANA,
    RACHEL,
    RUN_TIMEOUT_S,
    START,
    Story,
    buttons,
    start_story,
)
from tests.bot.test_approval_story import shown
from tests.bot.test_plan_preview import step_done
from tests.harness import CHANNEL
from tests.state import seeded, seeded_postgres
from workflows.approvals import Approval
from workflows.clock import ManualClock
from workflows.engine.clarify import question_id

TTL = timedelta(minutes=30)
PRIYA = "U0PRIYA"
FINANCIAL, HEALTH = "Summit Financial Group", "Summit Health Systems"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    state = tmp_path / "state"
    common = {"scheduler": False, "step_timeout_s": 2.0, "preview_ttl": TTL}
    if request.param == "sqlite":
        yield Settings(state_dir=seeded(state, START), **common)
        return
    async with seeded_postgres(state, START) as url:
        yield Settings(state_dir=state, database_url=url, **common)


@pytest.fixture
async def story(settings: Settings) -> AsyncIterator[Story]:
    async with start_story(settings, ManualClock(START)) as started:
        yield started


def question_posts(story: Story, thread_ts: str) -> list[PostedMessage]:
    return [
        m
        for m in story.slack.thread(CHANNEL, thread_ts)
        if m.metadata is not None and m.metadata.get("event_type") == PREVIEW_EVENT
    ]


async def asked(
    story: Story, event_id: str, user: str = RACHEL, text: str = "brief me on Summit"
) -> tuple[str, str, PostedMessage]:
    """``user`` asks about Summit; returns once the question is shown and the run waits."""
    ts = payloads.new_ts()
    mention = payloads.app_mention(text, user=user, channel=CHANNEL, ts=ts, event_id=event_id)
    assert (await story.slack.send(mention)).status == 200
    run_id = f"slack-{event_id}"
    await story.standin.wait_for(lambda _: bool(question_posts(story, ts)), RUN_TIMEOUT_S)
    await step_done(run_id, "question:show")
    [post] = question_posts(story, ts)
    return run_id, ts, post


def choice(post: PostedMessage, label: str) -> str:
    """The action id of the button labelled ``label``."""
    return next(str(b["action_id"]) for b in buttons(post) if b["text"]["text"] == label)


async def press(story: Story, post: PostedMessage, label: str, user: str = RACHEL) -> None:
    assert (await story.slack.send(story.click(post, choice(post, label), user))).status == 200


async def the_question(story: Story, run_id: str) -> Approval:
    found = await story.slack.services.desk.store.get(question_id(run_id))
    assert found is not None
    return found


async def audited(story: Story, run_id: str) -> list[dict[str, object]]:
    detail = await story.slack.services.audit.get_run(run_id)
    assert detail is not None
    return [dict(e.detail) for e in detail.events if e.kind == "question"]


async def test_the_question_offers_each_customer_and_none_of_these(story: Story) -> None:
    run_id, _, post = await asked(story, "Ev0ASK")

    assert "“Summit” matches several customers" in post.text
    assert "Which one did you mean?" in shown(post)
    qid = question_id(run_id)
    assert [(b["text"]["text"], b["value"]) for b in buttons(post)] == [
        (FINANCIAL, f"{qid}:0"),
        (HEALTH, f"{qid}:1"),
        ("None of these", f"{qid}:none"),
    ]
    steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
    assert not [s for s in steps if str(s["function_name"]).startswith("step:")]
    question = await the_question(story, run_id)
    assert question.requester_email == "rachel.kim@northwind.example"
    assert question.expires_at == START + TTL
    [asked_row] = await audited(story, run_id)
    assert asked_row["choices"] == [FINANCIAL, HEALTH]


async def test_the_choice_continues_the_same_run_for_that_customer(story: Story) -> None:
    run_id, ts, post = await asked(story, "Ev0CHOOSE")

    await press(story, post, HEALTH)
    detail = await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)

    assert detail.run.run_id == run_id
    assert detail.run.answer_kind == "briefing", [e.detail for e in detail.events]
    [answer] = [e.detail for e in detail.events if e.kind == "answer"]
    assert HEALTH in str(answer) and FINANCIAL not in str(answer)
    [edited] = question_posts(story, ts)
    assert not buttons(edited)
    assert f"Chose *{HEALTH}*" in shown(edited)
    outcomes = [(d["outcome"], d.get("answer")) for d in await audited(story, run_id)]
    assert outcomes == [("asked", None), ("answered", HEALTH)]
    # A second press decides nothing, and says so to the presser alone.
    await press(story, post, FINANCIAL)
    await story.standin.wait_for(lambda _: bool(story.told(RACHEL)), RUN_TIMEOUT_S)
    assert story.told(RACHEL) == [f"Already answered at 14:00 UTC: {HEALTH}."]


async def test_only_the_requester_may_answer(story: Story) -> None:
    run_id, _, post = await asked(story, "Ev0NOTYOURS")

    await press(story, post, HEALTH, user=DANA)
    await story.standin.wait_for(lambda _: bool(story.told(DANA)), RUN_TIMEOUT_S)

    assert story.told(DANA) == ["Only Rachel Kim can answer this question: they asked it."]
    assert (await the_question(story, run_id)).open
    [refused] = [d for d in await audited(story, run_id) if d["outcome"] == "refused"]
    assert refused["by"] == "dana.reyes@northwind.example"


async def test_none_of_these_ends_the_run_with_nothing_done(story: Story) -> None:
    run_id, _, post = await asked(story, "Ev0NONE")

    await press(story, post, "None of these")
    detail = await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)

    [answer] = [e.detail for e in detail.events if e.kind == "answer"]
    assert answer["text"] == "No customer chosen, so nothing was done."
    assert choice(post, "None of these") == NONE
    steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
    assert not [s for s in steps if str(s["function_name"]).startswith("step:")]


async def test_a_question_nobody_answers_expires_and_nothing_is_done(story: Story) -> None:
    run_id, ts, _ = await asked(story, "Ev0EXPIRE")
    desk = story.slack.services.desk

    story.clock.advance(TTL - timedelta(seconds=1))
    assert await desk.sweep() == 0
    story.clock.advance(timedelta(seconds=2))
    assert await desk.sweep() == 1
    detail = await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)

    [answer] = [e.detail for e in detail.events if e.kind == "answer"]
    assert answer["text"] == "No answer, so nothing was done."
    [edited] = question_posts(story, ts)
    assert "No answer, so nothing was done" in shown(edited)


async def test_customers_the_requester_may_not_see_are_not_offered(story: Story) -> None:
    story.standin.add_user(PRIYA, "priya.patel@northwind.example", "Priya Patel")
    _, _, post = await asked(story, "Ev0PRIYA", user=PRIYA)

    assert [b["text"]["text"] for b in buttons(post)] == [HEALTH, "None of these"]
    assert FINANCIAL not in shown(post)

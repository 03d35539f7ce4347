"""A post Slack accepted is never made twice: a step retried after a post whose answer was lost
finds the message by its metadata and reuses it (the progress message, the answer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.reporters.slack import is_answer, is_progress
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage, RecordedCall, SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import slack_bot
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, SECRET, TOKEN, SlackHarness, block_texts

CLIENT_TIMEOUT_S = 3  # seconds (slack_sdk takes whole ones; a loaded machine needs more than one)

HTML_500 = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def mention(ts: str, event_id: str) -> payloads.Payload:
    return payloads.app_mention(
        "brief me on Acme", user=DANA, channel=CHANNEL, ts=ts, event_id=event_id
    )


def accept_then_fail(slack: SlackHarness, *, answer: bool) -> None:
    """Slack takes the next progress (or answer) post, then answers it with a 502: the post
    happened, and the bot cannot know it."""
    fault = {"status": 502, "body": HTML_500, "accepted": True}
    if not answer:
        slack.standin.fail("chat.postMessage", **fault)  # type: ignore[arg-type]
        return
    armed: list[bool] = []

    async def arm(call: RecordedCall) -> None:
        if not armed and call.method == "chat.postMessage" and is_progress(call.args):
            armed.append(True)
            slack.standin.fail("chat.postMessage", **fault)  # type: ignore[arg-type]

    slack.standin.subscribe(arm)


def shown(slack: SlackHarness, ts: str) -> tuple[list[PostedMessage], list[PostedMessage]]:
    """The thread's progress messages and answers, as Slack shows them."""
    thread = slack.thread(CHANNEL, ts)
    progress = [m for m in thread if m.metadata and m.metadata["event_type"] == PROGRESS]
    answers = [m for m in thread if m.metadata and m.metadata["event_type"] == ANSWER]
    return progress, answers


PROGRESS, ANSWER = "crosswire_progress", "crosswire_answer"


async def test_an_answer_accepted_but_answered_502_is_found_not_posted_again(
    slack: SlackHarness,
) -> None:
    ts = "1700000201.000100"
    accept_then_fail(slack, answer=True)
    await slack.send(mention(ts, "Ev0LOSTANSWER"))
    detail = await slack.finished("slack-Ev0LOSTANSWER", timeout=15)

    [progress], [answer] = shown(slack, ts)
    assert [c.error for c in slack.standin.calls_to("chat.postMessage")] == [None, "http_502"]
    [lookup] = slack.standin.calls_to("conversations.replies")
    assert lookup.args["ts"] == ts
    assert lookup.args["include_all_metadata"] in ("1", "true", True)
    assert "Acme Corporation" in block_texts(answer.blocks)
    assert answer.metadata == {
        "event_type": ANSWER,
        "event_payload": {"run_id": "slack-Ev0LOSTANSWER"},
    }
    assert progress.text.startswith("Briefing on *Acme Corporation* below: 6 of 6")
    assert detail.run.status == "completed"


async def test_a_progress_message_accepted_but_answered_502_is_reused_and_finished(
    slack: SlackHarness,
) -> None:
    ts = "1700000202.000100"
    accept_then_fail(slack, answer=False)
    await slack.send(mention(ts, "Ev0LOSTPROGRESS"))
    detail = await slack.finished("slack-Ev0LOSTPROGRESS", timeout=15)

    [progress], [answer] = shown(slack, ts)
    posts = slack.standin.calls_to("chat.postMessage")
    assert [(is_progress(c.args), c.error) for c in posts] == [(True, "http_502"), (False, None)]
    assert is_answer(posts[1].args)
    assert progress.metadata == {
        "event_type": PROGRESS,
        "event_payload": {"run_id": "slack-Ev0LOSTPROGRESS"},
    }
    assert progress.edits >= 1
    assert progress.text.startswith("Briefing on *Acme Corporation* below: 6 of 6")
    assert "Acme Corporation" in block_texts(answer.blocks)
    assert detail.run.status == "completed"


async def test_a_first_attempt_reads_nothing_back(slack: SlackHarness) -> None:
    ts = "1700000203.000100"
    await slack.send(mention(ts, "Ev0FIRSTTRY"))
    await slack.finished("slack-Ev0FIRSTTRY", timeout=15)

    [_], [_] = shown(slack, ts)
    reads = [c for c in slack.standin.calls if c.method.startswith("conversations.")]
    assert reads == []


async def test_a_lookup_slack_refuses_posts_again_rather_than_not_at_all(
    slack: SlackHarness,
) -> None:
    """An install without the history scopes cannot look: the answer still arrives (twice,
    since its first post was lost to the bot), never zero times."""
    ts = "1700000204.000100"
    slack.standin.fail("conversations.replies", error="missing_scope")
    accept_then_fail(slack, answer=True)
    await slack.send(mention(ts, "Ev0NOSCOPE"))
    detail = await slack.finished("slack-Ev0NOSCOPE", timeout=15)

    [_], answers = shown(slack, ts)
    assert len(answers) == 2
    assert [c.error for c in slack.standin.calls_to("conversations.replies")] == ["missing_scope"]
    assert detail.run.status == "completed"


async def test_a_command_progress_message_accepted_but_answered_502_is_found_in_the_channel(
    slack: SlackHarness,
) -> None:
    """A command's progress message is a top-level post: it is looked for in the channel's
    history, and the answer goes to its thread."""
    accept_then_fail(slack, answer=False)
    await slack.send(slack.command("brief Acme", trigger_id="222.1.lostprogress"))
    detail = await slack.finished("slack-cmd-222.1.lostprogress", timeout=15)

    [lookup] = slack.standin.calls_to("conversations.history")
    assert lookup.args["channel"] == CHANNEL
    [progress] = [m for m in slack.standin.messages(CHANNEL) if m.thread_ts is None]
    assert progress.metadata and progress.metadata["event_type"] == PROGRESS
    assert progress.text.startswith("Briefing on *Acme Corporation* is in the thread: 6 of 6")
    [answer] = [m for m in slack.standin.messages(CHANNEL) if m.thread_ts == progress.ts]
    assert "Acme Corporation" in block_texts(answer.blocks)
    assert detail.run.status == "completed"


@pytest.fixture
async def impatient(settings: Settings) -> AsyncIterator[SlackHarness]:
    """The bot with a Web API client that gives up on Slack after a second."""
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, "dana.reyes@northwind.example", "Dana Reyes")
        client = web_client(TOKEN, standin.base_url)
        client.timeout = CLIENT_TIMEOUT_S
        async with slack_bot(settings, client, signing_secret=SECRET) as bot:
            yield SlackHarness(
                app=bot.app, standin=standin, services=bot.services, scheduler=bot.scheduler
            )


async def test_an_answer_whose_post_timed_out_after_slack_took_it_is_not_posted_again(
    impatient: SlackHarness,
) -> None:
    """Slack takes the answer and answers too late: the bot's call times out, the delivery
    is retried, and the retry finds the answer instead of posting a second one."""
    slack, ts = impatient, "1700000205.000100"
    held: list[bool] = []

    async def answer_late(call: RecordedCall) -> None:
        if not held and call.method == "chat.postMessage" and is_answer(call.args):
            held.append(True)
            await asyncio.sleep(CLIENT_TIMEOUT_S * 1.5)

    slack.standin.subscribe(answer_late)
    await slack.send(mention(ts, "Ev0TIMEDOUT"))
    detail = await slack.finished("slack-Ev0TIMEDOUT", timeout=15)

    [progress], [answer] = shown(slack, ts)
    assert held
    assert len(slack.standin.calls_to("conversations.replies")) == 1
    assert "Acme Corporation" in block_texts(answer.blocks)
    assert progress.text.startswith("Briefing on *Acme Corporation* below: 6 of 6")
    assert detail.run.status == "completed"

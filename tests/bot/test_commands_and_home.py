"""``/crosswire``, the App Home tab, and the messages the bot must not answer."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.sandbox import payloads
from tests.harness import CHANNEL, DANA, SlackHarness, block_texts

DM_CHANNEL = "D0DANA"


def ack_body(body: str) -> dict[str, object]:
    parsed = json.loads(body)
    assert isinstance(parsed, dict)
    return parsed


async def test_slash_command_acks_at_once_and_briefs_in_the_channel(slack: SlackHarness) -> None:
    command = payloads.slash_command(
        "brief Acme", user_id=DANA, channel_id=CHANNEL, trigger_id="111.1.cmdbrief"
    )
    started = time.perf_counter()
    response = await slack.send(command)
    elapsed = time.perf_counter() - started

    assert response.status == 200
    assert elapsed < 3.0
    # A text-only ack is sent as plain text, which Slack shows to the user alone.
    assert response.body == "On it: `brief Acme`"

    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-cmd-111.1.cmdbrief")
    assert detail.run.trigger == "slack_command"
    assert detail.run.status == "completed"

    # The progress message opens a thread in the channel; the briefing lands in it.
    [progress] = [m for m in slack.standin.messages(CHANNEL) if m.thread_ts is None]
    assert progress.text.startswith("Briefing on *Acme Corporation* is in the thread")
    assert answer.args["channel"] == CHANNEL
    assert answer.args["thread_ts"] == progress.ts
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("text", ["help", "", "?"])
async def test_slash_help_is_answered_in_the_ack_and_starts_no_run(
    slack: SlackHarness, text: str
) -> None:
    response = await slack.send(payloads.slash_command(text, user_id=DANA, channel_id=CHANNEL))

    assert response.status == 200
    ack = ack_body(response.body)
    assert "I build customer briefings" in str(ack["text"])
    assert "brief me on Acme" in block_texts(ack["blocks"])
    await asyncio.sleep(0.1)
    assert slack.standin.calls_to("chat.postMessage") == []
    assert slack.standin.calls_to("users.info") == []
    assert await slack.services.audit.list_runs() == []


async def test_slash_nonsense_gets_the_help_notice_to_its_author(slack: SlackHarness) -> None:
    command = slack.command("order me a pizza", trigger_id="111.1.pizza")
    response = await slack.send(command)
    assert response.body == "On it: `order me a pizza`"

    [answer] = await slack.wait_only_for(DANA)
    await slack.finished("slack-cmd-111.1.pizza")
    assert (answer["channel"], answer["via"]) == (CHANNEL, "response_url")
    assert "I did not understand that" in answer["text"]
    assert slack.standin.calls_to("chat.postMessage") == []


async def test_app_home_opened_publishes_the_home_view(slack: SlackHarness) -> None:
    # Opening the Messages tab publishes nothing; opening Home publishes the home view.
    assert (await slack.send(payloads.app_home_opened(DANA, tab="messages"))).status == 200
    assert (await slack.send(payloads.app_home_opened(DANA))).status == 200

    await slack.standin.wait_for(lambda s: bool(s.calls_to("views.publish")))
    await asyncio.sleep(0.05)
    [publish] = slack.standin.calls_to("views.publish")
    assert publish.error is None
    assert publish.args["user_id"] == DANA
    view = publish.args["view"]
    assert view["type"] == "home"
    assert "Crosswire" in block_texts(view["blocks"])
    assert "brief me on Acme" in block_texts(view["blocks"])
    assert slack.standin.workspace.home_views[DANA]["type"] == "home"


def _edited(payload: payloads.Payload, **changes: object) -> payloads.Payload:
    body = json.loads(payload.body)
    body["event"].update(changes)
    return payloads.Payload(json.dumps(body), payload.content_type)


def _message_changed() -> payloads.Payload:
    original = payloads.direct_message("brief me on Acme", user=DANA, channel=DM_CHANNEL)
    body = json.loads(original.body)
    inner = body["event"]
    body["event"] = {
        "type": "message",
        "subtype": "message_changed",
        "channel": DM_CHANNEL,
        "channel_type": "im",
        "hidden": True,
        "ts": payloads.new_ts(),
        "event_ts": payloads.new_ts(),
        "message": {**inner, "text": "brief me on Acme please", "edited": {"user": DANA}},
        "previous_message": inner,
    }
    return payloads.Payload(json.dumps(body), original.content_type)


def _ignored(kind: str) -> payloads.Payload:
    dm = payloads.direct_message("brief me on Acme", user=DANA, channel=DM_CHANNEL)
    match kind:
        case "other_bot":
            return _edited(dm, bot_id="B0OTHERBOT")
        case "bot_message":
            return _edited(dm, subtype="bot_message", bot_id="B0OTHERBOT")
        case "message_changed":
            return _message_changed()
        case "channel_message":
            return _edited(dm, channel=CHANNEL, channel_type="channel")
    raise AssertionError(kind)


async def test_messages_the_bot_must_not_answer_get_no_reply(slack: SlackHarness) -> None:
    for kind in ("other_bot", "bot_message", "message_changed", "channel_message"):
        assert (await slack.send(_ignored(kind))).status == 200, kind

    # A genuine DM afterwards is answered: anything the ignored ones started has shown by then.
    control = payloads.direct_message(
        "brief me on Acme", user=DANA, channel=DM_CHANNEL, event_id="Ev0CONTROL"
    )
    await slack.send(control)
    [answer] = await slack.wait_for_answers()
    await slack.finished("slack-Ev0CONTROL")

    assert answer.args["thread_ts"] == json.loads(control.body)["event"]["ts"]
    assert len(slack.standin.calls_to("users.info")) == 1
    assert [r.run_id for r in await slack.services.audit.list_runs()] == ["slack-Ev0CONTROL"]
    assert len(slack.standin.calls_to("chat.postMessage")) == 2  # progress + answer

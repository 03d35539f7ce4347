"""What people type, through the real seams: signed mentions and commands, the sandbox chat."""

from __future__ import annotations

import io
import json

import pytest

from bot.sandbox import payloads
from bot.sandbox.chat import SandboxChat
from bot.sandbox.slack_api import RecordedCall
from tests.harness import CHANNEL, DANA, SECRET, SlackHarness, block_texts
from tests.readme import chat_examples


def answer_text(answer: RecordedCall) -> str:
    return f"{answer.args['text']}\n{block_texts(answer.args.get('blocks'))}"


def private_text(entry: dict[str, object]) -> str:
    """What a message shown to the asker alone says (notices concern only them)."""
    return f"{entry['text']}\n{block_texts(entry.get('blocks'))}"


def header(answer: RecordedCall) -> str:
    first = (answer.args.get("blocks") or [{}])[0]
    return str(first["text"]["text"]) if first.get("type") == "header" else ""


def run_id_of(payload: payloads.Payload) -> str:
    return f"slack-{json.loads(payload.body)['event_id']}"


async def test_slack_escaped_ampersand_finds_the_customer(slack: SlackHarness) -> None:
    # Slack delivers a typed "&" as "&amp;".
    mention = payloads.app_mention("brief me on Lumen &amp; Oak", user=DANA, channel=CHANNEL)
    await slack.send(mention)
    [answer] = await slack.wait_for_answers()
    await slack.finished(run_id_of(mention))
    assert "Lumen & Oak Interiors" in header(answer)


async def test_the_readme_example_with_its_literal_mention(slack: SlackHarness) -> None:
    mention = payloads.app_mention(
        "@crosswire brief me on Acme before my 2pm", user=DANA, channel=CHANNEL
    )
    await slack.send(mention)
    [answer] = await slack.wait_for_answers()
    await slack.finished(run_id_of(mention))
    assert "Acme Corporation" in header(answer)
    assert "@crosswire" not in answer_text(answer)


async def test_a_contact_brings_their_company(slack: SlackHarness) -> None:
    mention = payloads.app_mention(
        "prep me for my call with Alex Morgan", user=DANA, channel=CHANNEL
    )
    await slack.send(mention)
    [answer] = await slack.wait_for_answers()
    await slack.finished(run_id_of(mention))
    assert "Acme Corporation" in header(answer)


async def test_a_follow_up_in_the_thread(slack: SlackHarness) -> None:
    first = payloads.app_mention("Acme", user=DANA, channel=CHANNEL, ts="1700000100.000100")
    await slack.send(first)
    await slack.wait_for_answers()
    follow_up = payloads.app_mention(
        "and Quantum Freight?", user=DANA, channel=CHANNEL, thread_ts="1700000100.000100"
    )
    await slack.send(follow_up)
    answers = await slack.wait_for_answers(2)
    await slack.finished(run_id_of(follow_up))
    assert "Quantum Freight Inc." in header(answers[1])
    assert answers[1].args["thread_ts"] == "1700000100.000100"


async def test_an_action_request_is_never_a_briefing(slack: SlackHarness) -> None:
    mention = payloads.app_mention(
        "can you send the renewal info to Acme", user=DANA, channel=CHANNEL
    )
    await slack.send(mention)
    [answer] = await slack.wait_only_for(DANA)
    detail = await slack.finished(run_id_of(mention))
    assert "I can't do that yet" in private_text(answer)
    assert "brief me on Acme Corporation" in private_text(answer)
    assert not any(b["type"] == "header" for b in answer["blocks"] or [])
    assert detail.steps == []  # no system was read
    assert slack.answers() == []
    assert slack.standin.calls_to("chat.update") == []


async def test_two_customers_get_one_question(slack: SlackHarness) -> None:
    mention = payloads.app_mention(
        "brief me on Acme and Quantum Freight", user=DANA, channel=CHANNEL
    )
    await slack.send(mention)
    # A question in the thread, one button per customer: the choice continues the run.
    await slack.standin.wait_for(lambda s: bool(_questions(s.calls_to("chat.postMessage"))), 15)
    [question] = _questions(slack.standin.calls_to("chat.postMessage"))
    assert question.args["text"].startswith("Which one first? Which one did you mean")
    buttons = [
        e["text"]["text"]
        for b in question.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == ["Acme Corporation", "Quantum Freight Inc.", "None of these"]


def _questions(posts: list[RecordedCall]) -> list[RecordedCall]:
    return [p for p in posts if "Which one did you mean" in str(p.args.get("text", ""))]


async def test_an_unknown_customer_is_one_message_without_random_names(
    slack: SlackHarness,
) -> None:
    mention = payloads.app_mention("brief me on Globex Industries", user=DANA, channel=CHANNEL)
    await slack.send(mention)
    [answer] = await slack.wait_only_for(DANA)
    await slack.finished(run_id_of(mention))
    assert "couldn't find a customer called “Globex Industries”" in private_text(answer)
    assert "Did you mean" not in private_text(answer)
    # No progress message first: the notice is all that is shown.
    assert slack.standin.calls_to("chat.postMessage") == []
    assert slack.standin.calls_to("chat.update") == []


async def test_a_slash_command_with_only_a_name(slack: SlackHarness) -> None:
    command = payloads.slash_command(
        "Acme", user_id=DANA, channel_id=CHANNEL, trigger_id="111.1.acme"
    )
    assert (await slack.send(command)).status == 200
    await slack.finished("slack-cmd-111.1.acme")
    answers = [c for c in slack.standin.calls if "Acme Corporation" in json.dumps(c.args)]
    assert answers, "no briefing on Acme Corporation reached Slack"


@pytest.mark.parametrize("example", chat_examples())
async def test_every_readme_example_works_in_the_sandbox_chat(
    slack: SlackHarness, example: str
) -> None:
    out = io.StringIO()
    chat = SandboxChat(app=slack.app, standin=slack.standin, signing_secret=SECRET, out=out)
    chat.attach()
    await chat.converse(example, timeout=30)
    shown = out.getvalue()
    assert (
        "Acme Corporation" in shown
        or "Blue Harbor Logistics" in shown
        or "Lumen & Oak Interiors" in shown
        or "Quantum Freight Inc." in shown
    ), shown
    for failure in ("couldn't find", "I can't do", "did not understand", "went wrong"):
        assert failure not in shown, shown

"""Mentions and DMs end to end: ack in time, progress in the thread, the briefing, the notices."""

from __future__ import annotations

import json
import time

import pytest

from bot.sandbox import payloads
from bot.sandbox.slack_api import RecordedCall
from tests.harness import CHANNEL, DANA, STRANGER, SlackHarness, block_texts

RACHEL = "U0RACHEL"

SOURCES = ("CRM", "Mailbox", "Support desk", "Contracts", "Product usage", "Billing")
DM_CHANNEL = "D0DANA"


def answer_text(answer: RecordedCall) -> str:
    return f"{answer.args['text']}\n{block_texts(answer.args.get('blocks'))}"


def private_text(entry: dict[str, object]) -> str:
    """What a message shown to one person only says (an ephemeral, a command's response)."""
    return f"{entry['text']}\n{block_texts(entry.get('blocks'))}"


def run_id_of(payload: payloads.Payload) -> str:
    return f"slack-{json.loads(payload.body)['event_id']}"


async def test_mention_is_acked_at_once_then_progress_then_briefing_in_the_thread(
    slack: SlackHarness,
) -> None:
    ts = "1700000001.000100"
    mention = payloads.app_mention(
        "brief me on Acme before my meeting", user=DANA, channel=CHANNEL, ts=ts, event_id="Ev0MENT"
    )

    started = time.perf_counter()
    response = await slack.send(mention)
    elapsed = time.perf_counter() - started

    assert response.status == 200
    assert elapsed < 3.0, f"ack took {elapsed:.2f}s; Slack retries after 3 s"
    [answer] = await slack.wait_for_answers()
    assert (await slack.finished("slack-Ev0MENT")).run.status == "completed"

    # One progress message in the mention's thread, edited as systems finished.
    [progress] = [m for m in slack.thread(CHANNEL, ts) if m.ts != answer.args.get("ts")][:1]
    assert progress.thread_ts == ts
    versions = [v.text for v in progress.history] + [progress.text]
    assert versions[0] == "Gathering *Acme* from 6 systems… (0/6)"
    assert all(label in block_texts(progress.history[0].blocks) for label in SOURCES)
    assert "Gathered *Acme* from 6 of 6 systems." in versions
    assert any(v.startswith("Gathering *Acme* from 6 systems… (") for v in versions[1:]), (
        "no edit while systems were still answering"
    )
    # It is in the thread itself, so it points below, not "in the thread".
    assert progress.text == "Briefing on *Acme Corporation* below: 6 of 6 systems answered."

    # The briefing: same thread, header, every section names its source, the risks first.
    assert answer.args["channel"] == CHANNEL
    assert answer.args["thread_ts"] == ts
    blocks = answer.args["blocks"]
    assert blocks[0]["type"] == "header"
    assert "Acme Corporation" in blocks[0]["text"]["text"]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    for source in SOURCES:
        assert sum(f"_from {source}_" in s for s in sections) == 1, source
    [watch] = [s for s in sections if s.startswith("*Watch out for*")]
    assert "P1 ticket" in watch
    assert ":x:" not in block_texts(blocks)
    # The answer is posted after the last progress edit, and nothing else in the thread; the
    # progress message reaches its final state only once the answer is there.
    posted = slack.standin.calls_to("chat.postMessage")
    assert [c.args.get("thread_ts") for c in posted] == [ts, ts]
    *progress_edits, final_edit = slack.standin.calls_to("chat.update")
    calls = slack.standin.calls
    assert calls.index(progress_edits[-1]) < calls.index(answer) < calls.index(final_edit)
    assert final_edit.args["text"] == progress.text


PHRASINGS = ("prep me for my Acme call", "what's going on with ACME?", "brief acme.io")


@pytest.mark.parametrize("text", PHRASINGS)
@pytest.mark.parametrize("surface", ["mention", "dm"])
async def test_phrasings_produce_an_acme_briefing(
    slack: SlackHarness, text: str, surface: str
) -> None:
    if surface == "mention":
        payload = payloads.app_mention(text, user=DANA, channel=CHANNEL, ts="1700000002.000100")
        channel = CHANNEL
    else:
        payload = payloads.direct_message(
            text, user=DANA, channel=DM_CHANNEL, ts="1700000002.000100"
        )
        channel = DM_CHANNEL

    assert (await slack.send(payload)).status == 200
    [answer] = await slack.wait_for_answers()
    assert (await slack.finished(run_id_of(payload))).run.answer_kind == "briefing"

    assert answer.args["channel"] == channel
    assert answer.args["thread_ts"] == "1700000002.000100"
    assert answer.args["blocks"][0]["type"] == "header"
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]


async def test_a_slack_formatted_domain_link_still_finds_acme(slack: SlackHarness) -> None:
    # Slack turns a typed domain into a link before the bot sees it.
    payload = payloads.direct_message(
        "brief <http://acme.io|acme.io>", user=DANA, channel=DM_CHANNEL
    )
    await slack.send(payload)
    [answer] = await slack.wait_for_answers()
    await slack.finished(run_id_of(payload))
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]


async def test_unknown_customer_gets_a_clear_notice_in_the_thread(slack: SlackHarness) -> None:
    ts = "1700000003.000100"
    mention = payloads.app_mention(
        "brief me on Globex Industries", user=DANA, channel=CHANNEL, ts=ts
    )
    await slack.send(mention)
    # It concerns only the asker: shown to them alone, in the thread.
    [answer] = await slack.wait_only_for(DANA)

    assert answer["thread_ts"] == ts
    text = private_text(answer)
    assert "couldn't find a customer" in text
    assert "Globex Industries" in text
    assert "went wrong" not in text
    assert not any(b["type"] == "header" for b in answer["blocks"] or [])
    run = (await slack.finished(run_id_of(mention))).run
    assert (run.status, run.answer_kind) == ("completed", "notice")


async def test_nonsense_objective_gets_the_help_notice_and_reads_no_system(
    slack: SlackHarness,
) -> None:
    ts = "1700000004.000100"
    mention = payloads.app_mention("order me a pizza", user=DANA, channel=CHANNEL, ts=ts)
    await slack.send(mention)
    [answer] = await slack.wait_only_for(DANA)

    assert answer["thread_ts"] == ts
    text = private_text(answer)
    assert "I did not understand that" in text
    assert "brief me on Acme" in text
    detail = await slack.finished(run_id_of(mention))
    assert detail.steps == []
    # No plan, so no progress message; the notice is shown to the asker alone.
    assert slack.standin.calls_to("chat.postMessage") == []
    assert slack.standin.calls_to("chat.update") == []


async def test_ambiguous_customer_asks_which_one(slack: SlackHarness) -> None:
    # Rachel Kim manages the owners of both Summits (Dana may see neither: she is refused).
    # She is asked which one, with buttons, in her thread (tests/bot/test_clarify.py).
    slack.standin.add_user(RACHEL, "rachel.kim@northwind.example", "Rachel Kim")
    ts = "1700000005.000100"
    mention = payloads.app_mention("brief me on Summit", user=RACHEL, channel=CHANNEL, ts=ts)
    await slack.send(mention)
    await slack.standin.wait_for(lambda _: len(slack.thread(CHANNEL, ts)) > 0, 15.0)
    [question] = slack.thread(CHANNEL, ts)

    assert question.thread_ts == ts
    assert "matches several customers" in question.text
    labels = [e["text"]["text"] for b in question.blocks or [] for e in b.get("elements") or []]
    assert "Summit Financial Group" in labels
    assert "Summit Health Systems" in labels
    assert "None of these" in labels


async def test_requester_missing_from_the_directory_is_refused_politely(
    slack: SlackHarness,
) -> None:
    ts = "1700000006.000100"
    await slack.send(
        payloads.app_mention("brief me on Acme", user=STRANGER, channel=CHANNEL, ts=ts)
    )
    [answer] = await slack.wait_only_for(STRANGER)

    assert answer["thread_ts"] == ts
    text = private_text(answer)
    assert "I don't know who you are yet" in text
    assert "someone@elsewhere.example" in text
    assert "went wrong" not in text
    # Refused before anything ran, to the asker alone; the run is recorded as refused.
    assert slack.standin.calls_to("chat.postMessage") == []
    assert [r.status for r in await slack.services.audit.list_runs()] == ["refused"]


async def test_user_unknown_to_slack_is_refused_politely(slack: SlackHarness) -> None:
    ts = "1700000007.000100"
    await slack.send(
        payloads.app_mention("brief me on Acme", user="U0NOBODY", channel=CHANNEL, ts=ts)
    )
    [answer] = await slack.wait_only_for("U0NOBODY")

    [lookup] = slack.standin.calls_to("users.info")
    assert lookup.error == "user_not_found"
    assert answer["thread_ts"] == ts
    text = private_text(answer)
    assert "I don't know who you are yet" in text
    assert "Slack does not know your user id" in text
    assert "went wrong" not in text


async def test_a_rate_limited_user_lookup_does_not_refuse_a_known_user(
    slack: SlackHarness,
) -> None:
    slack.standin.fail_next("users.info", "ratelimited")
    mention = payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL)
    await slack.send(mention)
    [answer] = await slack.wait_for_answers()

    assert "I don't know who you are yet" not in answer_text(answer)
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]
    await slack.finished(run_id_of(mention))

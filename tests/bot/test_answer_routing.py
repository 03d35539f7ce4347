"""Where answers appear: briefings where they were asked, what concerns only the asker to them
alone, a command in a channel the bot is not in through its response URL; Slack's refusals
tried once, its blinks retried."""

from __future__ import annotations

import json

import pytest

from bot.sandbox import payloads
from bot.sandbox.slack_api import RecordedCall
from tests.harness import CHANNEL, DANA, STRANGER, SlackHarness, block_texts

OUTSIDE = "C0OUTSIDE"
DM_CHANNEL = "D0DANA"
HTML_500 = "<html><head><title>500</title></head><body>Internal Server Error</body></html>"


def shown(entry: dict[str, object]) -> str:
    return f"{entry['text']}\n{block_texts(entry.get('blocks'))}"


def posts(slack: SlackHarness) -> list[RecordedCall]:
    return slack.standin.calls_to("chat.postMessage")


def run_id_of(payload: payloads.Payload) -> str:
    return f"slack-{json.loads(payload.body)['event_id']}"


def mention(text: str = "brief me on Acme", user: str = DANA, **kw: str) -> payloads.Payload:
    return payloads.app_mention(text, user=user, channel=CHANNEL, **kw)


# ------------------------------------------------------------------ slash commands


@pytest.mark.parametrize(
    ("private", "error"), [(False, "not_in_channel"), (True, "channel_not_found")]
)
async def test_a_command_where_the_bot_is_not_a_member_is_answered_through_its_response_url(
    slack: SlackHarness, private: bool, error: str
) -> None:
    slack.standin.add_channel(OUTSIDE, private=private, member=False)
    command = slack.command("brief acme.io", channel=OUTSIDE, trigger_id="111.1.outside")
    assert (await slack.send(command)).body == "On it: `brief acme.io`"

    [response] = await slack.wait_only_for(DANA)
    detail = await slack.finished("slack-cmd-111.1.outside")

    assert response["via"] == "response_url"
    assert response["channel"] == OUTSIDE
    assert "Acme Corporation" in shown(response)
    assert "/invite @crosswire" in shown(response)
    [call] = slack.standin.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral"
    # The progress message and the answer were each tried once: a refusal is not retried.
    assert [c.error for c in posts(slack)] == [error, error]
    assert slack.standin.messages() == []
    assert detail.run.status == "completed"


async def test_a_command_where_the_bot_is_a_member_is_answered_in_the_channel(
    slack: SlackHarness,
) -> None:
    await slack.send(slack.command("brief Acme", trigger_id="111.1.member"))
    [answer] = await slack.wait_for_answers()
    await slack.finished("slack-cmd-111.1.member")

    assert answer.args["channel"] == CHANNEL
    assert slack.standin.calls_to("response_url") == []
    assert "/invite" not in block_texts(answer.args["blocks"])


async def test_a_command_nobody_understands_is_answered_to_its_author_only(
    slack: SlackHarness,
) -> None:
    await slack.send(slack.command("order me a pizza", trigger_id="111.1.pizza"))
    [response] = await slack.wait_only_for(DANA)
    await slack.finished("slack-cmd-111.1.pizza")

    assert response["via"] == "response_url"
    assert "I did not understand that" in shown(response)
    assert posts(slack) == []


async def test_a_command_too_long_is_refused_in_its_ack_and_audited(slack: SlackHarness) -> None:
    text = "brief me on " + "Acme " * 2000
    response = await slack.send(slack.command(text, trigger_id="111.1.long"))

    ack = json.loads(response.body)
    assert "That message is too long for me" in ack["text"]
    detail = await slack.finished("slack-cmd-111.1.long")
    assert detail.run.status == "refused"
    [decision] = [e for e in detail.events if e.kind == "decision"]
    assert decision.detail["length"] == len(text)
    assert len(detail.run.objective) < 1000  # the audit keeps no megabytes
    assert slack.standin.calls_to("users.info") == []
    assert slack.standin.calls_to("response_url") == []


# ------------------------------------------------------------------ private notices


async def test_an_unknown_user_is_refused_to_them_only_once_for_four_deliveries(
    slack: SlackHarness,
) -> None:
    ts = "1700000101.000100"
    refused = mention(user=STRANGER, ts=ts, event_id="Ev0STRANGE")
    for retry in (None, 1, 2, 3):
        assert (await slack.send(refused, retry_num=retry)).status == 200
    await slack.wait_only_for(STRANGER)
    # A genuine request afterwards has been answered: the retries' work has shown by then.
    await slack.send(mention(event_id="Ev0AFTER"))
    await slack.wait_for_answers()
    await slack.finished("slack-Ev0AFTER")

    [refusal] = slack.only_for(STRANGER)
    assert (refusal["channel"], refusal["thread_ts"]) == (CHANNEL, ts)
    assert "I don't know who you are yet" in shown(refusal)
    assert "someone@elsewhere.example" in shown(refusal)
    assert slack.only_for(DANA) == []
    assert not any("who you are" in c.args.get("text", "") for c in posts(slack))
    detail = await slack.services.audit.get_run("slack-Ev0STRANGE")
    assert detail is not None and detail.run.status == "refused"
    assert any(e.kind == "duplicate" for e in detail.events)


async def test_an_unknown_user_in_a_dm_is_answered_in_the_dm(slack: SlackHarness) -> None:
    dm = payloads.direct_message("brief me on Acme", user=STRANGER, channel="D0STRANGER")
    await slack.send(dm)
    [answer] = await slack.wait_for_answers()
    assert answer.args["channel"] == "D0STRANGER"
    assert "I don't know who you are yet" in answer.args["text"]
    assert slack.only_for(STRANGER) == []


async def test_which_customer_is_asked_of_the_asker_only(slack: SlackHarness) -> None:
    ts = "1700000102.000100"
    await slack.send(mention("brief me on Summit", ts=ts))
    [question] = await slack.wait_only_for(DANA)

    assert question["thread_ts"] == ts
    assert "Summit Financial Group" in shown(question)
    assert posts(slack) == []


async def test_a_mention_too_long_gets_a_clear_answer_and_no_run(slack: SlackHarness) -> None:
    payload = mention("brief me on " + "x" * 5000)
    await slack.send(payload)
    [answer] = await slack.wait_only_for(DANA)
    detail = await slack.finished(run_id_of(payload))

    assert "That message is too long for me" in shown(answer)
    assert detail.run.status == "refused"
    assert detail.steps == []
    assert slack.standin.calls_to("users.info") == []


# ------------------------------------------------------------------ Slack blinks


@pytest.mark.parametrize("fault", ["ratelimited", "html_500"])
async def test_a_user_lookup_slack_could_not_answer_is_not_a_refusal(
    slack: SlackHarness, fault: str
) -> None:
    if fault == "ratelimited":
        slack.standin.fail_next("users.info", "ratelimited", times=4)  # the client retries 3
    else:
        slack.standin.fail("users.info", status=500, body=HTML_500)
    first = mention(event_id="Ev0BLINK")
    await slack.send(first)
    [notice] = await slack.wait_only_for(DANA)

    assert "try again in a moment" in shown(notice)
    assert "I don't know who you are" not in shown(notice)
    blinked = await slack.finished("slack-Ev0BLINK")
    assert blinked.run.status == "failed"
    [error] = [e for e in blinked.events if e.kind == "error"]
    assert "users.info" in error.detail["error"]

    # Nothing was cached: Slack's redelivery of the same event looks Dana up again, and the
    # run under the same id ends with the briefing.
    await slack.send(first, retry_num=1)
    [answer] = await slack.wait_for_answers()
    assert "Acme Corporation" in block_texts(answer.args["blocks"])
    detail = await slack.finished("slack-Ev0BLINK")
    assert (detail.run.status, detail.run.answer_kind) == ("completed", "briefing")


async def test_a_progress_message_slack_fails_three_times_still_brings_the_briefing(
    slack: SlackHarness,
) -> None:
    ts = "1700000103.000100"
    slack.standin.fail("chat.postMessage", times=3, status=500, body=HTML_500)
    await slack.send(mention(ts=ts, event_id="Ev0NOPROGRESS"))

    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0NOPROGRESS")

    assert [c.error for c in posts(slack)] == ["http_500"] * 3 + [None]
    assert answer.args["thread_ts"] == ts
    assert "Acme Corporation" in block_texts(answer.args["blocks"])
    assert detail.run.status == "completed"
    assert slack.standin.calls_to("chat.update") == []


def fail_answer(slack: SlackHarness, **fault: object) -> None:
    """Once the progress message is up, inject ``fault`` into the next chat.postMessage."""
    armed: list[bool] = []

    async def arm(call: RecordedCall) -> None:
        if call.method == "chat.postMessage" and call.error is None and not armed:
            armed.append(True)
            slack.standin.fail("chat.postMessage", **fault)  # type: ignore[arg-type]

    slack.standin.subscribe(arm)


async def test_an_answer_slack_fails_with_an_html_500_is_retried_and_delivered(
    slack: SlackHarness,
) -> None:
    fail_answer(slack, times=2, status=500, body=HTML_500)
    await slack.send(mention(event_id="Ev0HTML"))

    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0HTML")

    assert [c.error for c in posts(slack)] == [None, "http_500", "http_500", None]
    assert "Acme Corporation" in block_texts(answer.args["blocks"])
    assert detail.run.status == "completed"
    assert not any(e.kind == "error" for e in detail.events)


async def test_an_answer_slack_always_fails_is_a_clear_audited_failure(
    slack: SlackHarness,
) -> None:
    fail_answer(slack, times=3, status=502, body=HTML_500)
    await slack.send(mention(event_id="Ev0HTML3"))
    detail = await slack.finished("slack-Ev0HTML3", timeout=15)

    assert detail.run.status == "failed"
    [error] = [e for e in detail.events if e.kind == "error"]
    assert "HTTP 502" in error.detail["error"]
    [notice] = await slack.wait_only_for(DANA)
    assert "Something went wrong" in shown(notice)
    assert "slack-Ev0HTML3" in shown(notice)


async def test_an_answer_slack_refuses_is_tried_once_and_the_asker_is_told(
    slack: SlackHarness,
) -> None:
    fail_answer(slack, error="invalid_blocks")
    await slack.send(mention(event_id="Ev0INVALID"))
    detail = await slack.finished("slack-Ev0INVALID")

    assert [c.error for c in posts(slack)] == [None, "invalid_blocks"]
    assert detail.run.status == "failed"
    [error] = [e for e in detail.events if e.kind == "error"]
    assert "invalid_blocks" in error.detail["error"]
    [notice] = await slack.wait_only_for(DANA)
    assert "Something went wrong" in shown(notice)


async def test_a_command_whose_response_url_slack_refuses_is_answered_in_a_dm(
    slack: SlackHarness,
) -> None:
    slack.standin.add_channel(OUTSIDE, member=False)
    slack.standin.fail("response_url", status=404, body="expired_url")
    await slack.send(slack.command("brief acme.io", channel=OUTSIDE, trigger_id="111.1.late"))

    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-cmd-111.1.late")

    assert answer.args["channel"] == DANA  # Slack delivers a post to a user id as their DM
    assert "Acme Corporation" in block_texts(answer.args["blocks"])
    assert [c.error for c in slack.standin.calls_to("response_url")] == ["http_404"]
    assert detail.run.status == "completed"


async def test_a_body_that_claims_to_be_json_and_is_not_is_a_blink_not_a_crash(
    slack: SlackHarness,
) -> None:
    # slack_sdk then attaches aiohttp's own response to its error, not a Slack response.
    fail_answer(slack, status=502, body=HTML_500, content_type="application/json")
    await slack.send(mention(event_id="Ev0BADJSON"))

    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0BADJSON")

    assert [c.error for c in posts(slack)] == [None, "http_502", None]
    assert "Acme Corporation" in block_texts(answer.args["blocks"])
    assert detail.run.status == "completed"

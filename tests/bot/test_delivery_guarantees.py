"""Slack's delivery contract: retries start nothing new, forged requests do nothing, malformed
payloads and Web API failures cost at most one answer, never a crash or a silent run."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import SORRY
from bot.reporters.slack import is_progress
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import RecordedCall
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, SECRET, SlackHarness, block_texts, start_harness
from workflows.audit.records import RunDetail


def run_id_of(payload: payloads.Payload) -> str:
    return f"slack-{json.loads(payload.body)['event_id']}"


def progress_posts(slack: SlackHarness) -> list[RecordedCall]:
    return [c for c in slack.standin.calls_to("chat.postMessage") if is_progress(c.args)]


def delivered(slack: SlackHarness) -> list[RecordedCall]:
    """Answers Slack accepted (``slack.answers()`` also lists the refused attempts)."""
    return [c for c in slack.answers() if c.error is None]


async def wait_delivered(slack: SlackHarness, count: int = 1) -> list[RecordedCall]:
    await slack.standin.wait_for(lambda _: len(delivered(slack)) >= count, 15.0)
    return delivered(slack)


def mention(text: str = "brief me on Acme", **kwargs: str) -> payloads.Payload:
    return payloads.app_mention(text, user=DANA, channel=CHANNEL, **kwargs)


# ------------------------------------------------------------------ retries


async def test_retry_of_a_finished_event_starts_nothing_and_is_audited(
    slack: SlackHarness,
) -> None:
    first = mention(event_id="Ev0RETRY1", ts="1700000010.000100")
    assert (await slack.send(first)).status == 200
    await slack.wait_for_answers()
    await slack.finished("slack-Ev0RETRY1")

    retry = await slack.send(first, retry_num=1)
    assert retry.status == 200
    detail = await _wait_for_event(slack, "slack-Ev0RETRY1", "duplicate")

    [duplicate] = [e for e in detail.events if e.kind == "duplicate"]
    assert duplicate.detail["trigger_id"] == "Ev0RETRY1"
    assert len(detail.steps) == 7
    assert sum(e.kind == "answer" for e in detail.events) == 1

    await _barrier(slack)  # a second answer to the retry would have shown by now
    assert [a.args["thread_ts"] for a in slack.answers()] == [
        "1700000010.000100",
        "1700000019.000100",
    ]
    assert len(progress_posts(slack)) == 2
    assert len(await slack.services.audit.list_runs()) == 2


@pytest.fixture
def slow_settings(tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path / "slow", scheduler=False, demo_latency="*=300", step_timeout_s=2.0
    )


@pytest.fixture
async def slow_slack(slow_settings: Settings) -> AsyncIterator[SlackHarness]:
    async with start_harness(slow_settings) as harness:
        yield harness


async def test_retry_while_the_first_delivery_is_still_running_yields_one_answer(
    slow_slack: SlackHarness,
) -> None:
    slack = slow_slack
    first = mention(event_id="Ev0RETRY2", ts="1700000011.000100")
    await slack.send(first)
    # The run has started (its progress message is up) but has not answered yet.
    await slack.standin.wait_for(lambda s: len(progress_posts(slack)) == 1)
    assert slack.answers() == []

    assert (await slack.send(first, retry_num=1)).status == 200
    assert (await slack.send(first, retry_num=2)).status == 200
    await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0RETRY2")

    assert len(slack.answers()) == 1
    assert len(progress_posts(slack)) == 1
    duplicates = [e for e in detail.events if e.kind == "duplicate"]
    assert duplicates and all(e.detail["status"] == "PENDING" for e in duplicates)


async def test_first_delivery_and_retry_arriving_together_yield_one_answer(
    slow_slack: SlackHarness,
) -> None:
    slack = slow_slack
    first = mention(event_id="Ev0RETRY3", ts="1700000012.000100")
    responses = await asyncio.gather(slack.send(first), slack.send(first, retry_num=1))
    assert [r.status for r in responses] == [200, 200]

    await slack.wait_for_answers()
    await slack.finished("slack-Ev0RETRY3")
    # Give a second (wrong) answer the time it would need to show up.
    await asyncio.sleep(0.3)
    assert len(slack.answers()) == 1
    assert len(progress_posts(slack)) == 1


# ------------------------------------------------------------------ signatures


async def _barrier(slack: SlackHarness) -> None:
    """A genuine request afterwards, answered: whatever an earlier request started has shown."""
    control = mention(event_id="Ev0CONTROL", ts="1700000019.000100")
    assert (await slack.send(control)).status == 200
    await slack.wait_for_answers()
    await slack.finished("slack-Ev0CONTROL")


@pytest.mark.parametrize("forgery", ["wrong_secret", "tampered_body"])
async def test_badly_signed_request_is_rejected_and_does_nothing(
    slack: SlackHarness, forgery: str
) -> None:
    genuine = mention(event_id="Ev0FORGED", ts="1700000013.000100")
    if forgery == "wrong_secret":
        response = await slack.send(genuine, secret="not-the-signing-secret")
    else:
        tampered = genuine.body.replace("brief me on Acme", "brief me on Summit Health")
        response = await slack.send(genuine, body_override=tampered)

    assert response.status == 401
    assert {c.method for c in slack.standin.calls} <= {"auth.test"}
    assert await slack.services.audit.get_run("slack-Ev0FORGED") is None

    await _barrier(slack)
    assert [r.run_id for r in await slack.services.audit.list_runs()] == ["slack-Ev0CONTROL"]
    assert len(slack.answers()) == 1


async def test_stale_timestamp_is_rejected(slack: SlackHarness) -> None:
    payload = mention(event_id="Ev0STALE")
    headers = signed_headers(
        payload.body.encode(),
        SECRET,
        timestamp=int(time.time()) - 10 * 60,
        content_type=payload.content_type,
    )
    request = AsyncBoltRequest(body=payload.body, headers=dict(headers))
    response = await slack.app.async_dispatch(request)

    assert response.status == 401
    assert {c.method for c in slack.standin.calls} <= {"auth.test"}
    assert await slack.services.audit.get_run("slack-Ev0STALE") is None


# ------------------------------------------------------------------ malformed payloads


def _without(payload: payloads.Payload, *fields: str) -> payloads.Payload:
    body = json.loads(payload.body)
    for name in fields:
        body["event"].pop(name)
    return payloads.Payload(json.dumps(body), payload.content_type)


@pytest.mark.parametrize("missing", [("user",), ("channel",)])
async def test_mention_missing_fields_is_acked_and_ignored(
    slack: SlackHarness, missing: tuple[str, ...]
) -> None:
    broken = _without(mention(event_id="Ev0BROKEN"), *missing)
    assert (await slack.send(broken)).status == 200

    await _barrier(slack)
    assert len(slack.answers()) == 1
    assert [c.args["text"] for c in slack.standin.calls_to("chat.postMessage")].count(SORRY) == 0
    assert await slack.services.audit.get_run("slack-Ev0BROKEN") is None
    # Only the control request asked who its sender was.
    assert len(slack.standin.calls_to("users.info")) == 1


# ------------------------------------------------------------------ Web API failures


def fail_posts_after_progress(slack: SlackHarness, error: str, times: int) -> None:
    """Once the progress message is up, make the next ``times`` chat.postMessage calls fail."""
    armed: list[bool] = []

    async def arm(call: RecordedCall) -> None:
        if call.method == "chat.postMessage" and call.error is None and not armed:
            armed.append(True)
            slack.standin.fail_next("chat.postMessage", error, times=times)

    slack.standin.subscribe(arm)


@pytest.mark.parametrize("error", ["internal_error", "ratelimited"])
async def test_answer_slack_failed_once_is_delivered_on_retry(
    slack: SlackHarness, error: str
) -> None:
    fail_posts_after_progress(slack, error, times=1)
    await slack.send(mention(event_id="Ev0RETRYPOST", ts="1700000014.000100"))

    [answer] = await wait_delivered(slack)
    detail = await slack.finished("slack-Ev0RETRYPOST")

    assert [c.error for c in slack.standin.calls_to("chat.postMessage")] == [None, error, None]
    assert answer.args["thread_ts"] == "1700000014.000100"
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]
    assert detail.run.status == "completed"
    assert not any(e.kind == "error" for e in detail.events)


async def test_answer_refused_becomes_a_failure_notice_to_the_asker_and_a_failed_run(
    slack: SlackHarness,
) -> None:
    """A refusal is not retried: it would be refused again. The run is audited as failed with
    Slack's reason, and the requester gets a "Something went wrong" notice, to them alone, in
    the thread instead of silence."""
    fail_posts_after_progress(slack, "channel_not_found", times=1)
    await slack.send(mention(event_id="Ev0NOPOST", ts="1700000015.000100"))

    [notice] = await slack.wait_only_for(DANA)
    detail = await slack.finished("slack-Ev0NOPOST")

    posts = slack.standin.calls_to("chat.postMessage")
    assert [c.error for c in posts] == [None, "channel_not_found"]
    assert "Briefing on Acme" in posts[1].args["text"]
    assert notice["thread_ts"] == "1700000015.000100"
    assert "Something went wrong" in block_texts(notice["blocks"])
    assert "slack-Ev0NOPOST" in notice["text"]
    assert detail.run.status == "failed"
    [error] = [e for e in detail.events if e.kind == "error"]
    assert "channel_not_found" in error.detail["error"]
    [answer_event] = [e for e in detail.events if e.kind == "answer"]
    assert answer_event.status == "failed"
    assert SORRY not in [c.args["text"] for c in posts]


async def test_when_slack_refuses_every_post_the_run_is_still_audited_as_failed(
    slack: SlackHarness,
) -> None:
    """Progress, answer and failure notice all refused: nothing reaches Slack, but the audit
    says the run failed rather than leaving it running, and the app does not crash."""
    slack.standin.fail_next("chat.postMessage", "channel_not_found", times=20)
    await slack.send(mention(event_id="Ev0NOSLACK", ts="1700000016.000100"))

    detail = await slack.finished("slack-Ev0NOSLACK")
    assert detail.run.status == "failed"
    assert any(e.kind == "error" for e in detail.events)
    assert all(c.error for c in slack.standin.calls_to("chat.postMessage"))
    assert slack.standin.messages() == []


async def test_rate_limited_progress_edits_do_not_lose_the_briefing(slack: SlackHarness) -> None:
    slack.standin.fail_next("chat.update", "ratelimited", times=2)
    await slack.send(mention(event_id="Ev0RATE", ts="1700000017.000100"))

    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0RATE")

    assert detail.run.status == "completed"
    assert answer.args["thread_ts"] == "1700000017.000100"
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]
    updates = slack.standin.calls_to("chat.update")
    assert [c.error for c in updates[:2]] == ["ratelimited", "ratelimited"]
    [progress] = [m for m in slack.standin.messages(CHANNEL) if m.ts != answer_ts(slack)]
    assert progress.text.endswith("6 of 6 systems answered.")


async def test_every_edit_rate_limited_still_delivers_the_briefing(slack: SlackHarness) -> None:
    slack.standin.fail_next("chat.update", "ratelimited", times=100)
    await slack.send(mention(event_id="Ev0RATE3", ts="1700000018.000100"))

    [answer] = await slack.wait_for_answers()
    assert (await slack.finished("slack-Ev0RATE3")).run.status == "completed"
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]


async def test_a_rate_limited_final_progress_edit_is_retried(slack: SlackHarness) -> None:
    armed: list[bool] = []

    async def fail_final_edit(call: RecordedCall) -> None:
        # The last coalesced progress edit has landed; the next edit is the final one.
        if call.method == "chat.update" and "6 of 6" in call.args["text"] and not armed:
            armed.append(True)
            slack.standin.fail_next("chat.update", "ratelimited")

    slack.standin.subscribe(fail_final_edit)
    await slack.send(mention(event_id="Ev0RATE4", ts="1700000019.000200"))
    await slack.wait_for_answers()
    await slack.finished("slack-Ev0RATE4")

    assert armed
    [progress] = [m for m in slack.standin.messages(CHANNEL) if m.ts != answer_ts(slack)]
    assert progress.text.startswith("Briefing on *Acme Corporation*")  # the final state


def answer_ts(slack: SlackHarness) -> str:
    [answer] = [
        m for m in slack.standin.messages() if m.text.startswith(("Briefing on Acme", "Something"))
    ]
    return answer.ts


async def _wait_for_event(
    slack: SlackHarness, run_id: str, kind: str, timeout: float = 5.0
) -> RunDetail:
    async with asyncio.timeout(timeout):
        while True:
            detail = await slack.services.audit.get_run(run_id)
            if detail and any(e.kind == kind for e in detail.events):
                return detail
            await asyncio.sleep(0.02)

"""Slack's native thread status while a briefing works, through Bolt's ``set_status``: the
real Bolt app against the Web API stand-in (which checks ``assistant.threads.setStatus`` as
Slack does), real DBOS on SQLite. Status is best effort: Slack refusing it fails nothing.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox import payloads
from bot.sandbox.slack_api import RecordedCall
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, TOKEN, SlackHarness

SET_STATUS = "assistant.threads.setStatus"


def statuses(calls: list[RecordedCall]) -> list[str]:
    return [str(c.args["status"]) for c in calls]


def systems_read(status: str) -> int:
    """How many systems ``is reading the CRM, Mailbox and 2 more…`` names."""
    named = status.removeprefix("is reading the ").removesuffix("…")
    more = re.search(r" and (\d+) more$", named)
    if more:
        return 2 + int(more.group(1))
    return named.count(", ") + named.count(" and ") + 1


async def test_a_briefing_shows_what_it_does_in_order_and_clears_it(slack: SlackHarness) -> None:
    ts = "1700000901.000100"
    mention = payloads.app_mention(
        "brief me on Acme", user=DANA, channel=CHANNEL, ts=ts, event_id="Ev0STATUS"
    )
    await slack.send(mention)
    detail = await slack.finished("slack-Ev0STATUS")

    assert detail.run.answer_kind == "briefing"
    calls = slack.standin.calls_to(SET_STATUS)
    assert all(c.error is None for c in calls)
    assert {(c.args["channel_id"], c.args["thread_ts"]) for c in calls} == {(CHANNEL, ts)}
    said = statuses(calls)
    assert said[0] == "is planning…"
    assert said[-1] == ""  # cleared once the answer is posted
    assert said[-2] == "is putting it together…"  # every system has answered
    # One status for the reads, naming every system the briefing reads (six), not one more
    # Web API call each time a system answers.
    [reading] = said[1:-2]
    assert reading.startswith("is reading the CRM") and systems_read(reading) == 6, reading
    assert all(a != b for a, b in pairwise(said))  # only changes are sent
    # Cleared after the answer, never before it.
    methods = [
        c.method for c in slack.standin.calls if c.method in (SET_STATUS, "chat.postMessage")
    ]
    answer_at = max(i for i, m in enumerate(methods) if m == "chat.postMessage")
    assert methods[answer_at + 1 :] == [SET_STATUS]
    assert slack.standin.workspace.thread_statuses == {}


async def test_a_status_slack_refuses_never_fails_the_run(slack: SlackHarness) -> None:
    slack.standin.fail_next(SET_STATUS, "missing_scope", times=100)
    mention = payloads.app_mention(
        "brief me on Acme", user=DANA, channel=CHANNEL, ts="1700000902.000100", event_id="Ev0NOST"
    )
    await slack.send(mention)
    detail = await slack.finished("slack-Ev0NOST")

    assert detail.run.status == "completed"
    assert detail.run.answer_kind == "briefing"
    assert slack.standin.calls_to(SET_STATUS)
    assert all(c.error == "missing_scope" for c in slack.standin.calls_to(SET_STATUS))


async def test_the_stand_in_checks_set_status_as_slack_does(slack: SlackHarness) -> None:
    client = web_client(TOKEN, slack.standin.base_url)
    ts = "1700000903.000100"
    await client.assistant_threads_setStatus(channel_id=CHANNEL, thread_ts=ts, status="is x…")
    assert slack.standin.workspace.thread_statuses == {(CHANNEL, ts): "is x…"}
    wrong = {
        "invalid_arguments": [
            {"channel_id": CHANNEL, "thread_ts": "", "status": "is x…"},
            {"channel_id": CHANNEL, "thread_ts": ts, "status": "x", "loading_messages": ["a"] * 11},
        ],
        "channel_not_found": [{"channel_id": "", "thread_ts": ts, "status": "x"}],
    }
    for error, calls in wrong.items():
        for args in calls:
            with pytest.raises(SlackApiError) as refused:
                await client.api_call(SET_STATUS, json=args)
            assert refused.value.response["error"] == error
    await client.assistant_threads_setStatus(channel_id=CHANNEL, thread_ts=ts, status="")
    assert slack.standin.workspace.thread_statuses == {}

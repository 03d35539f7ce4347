"""What the bot sends Slack fits Block Kit's limits, and the stand-in refuses what does not.

Through the real app and the Slack stand-in (which enforces the limits as Slack does), and
the Slack reporter against the stand-in where a run's shape is hard to reach by typing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.reporters.slack import SlackReporter, is_answer
from bot.sandbox import payloads
from bot.sandbox.slack_api import RecordedCall, SlackWebApiStandIn
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, TOKEN, SlackHarness, block_texts
from workflows.answers import Briefing, Notice, Section
from workflows.domain import AccountRef
from workflows.errors import DeliveryError
from workflows.models import Objective, Principal, ReplyTarget, RunRequest
from workflows.ports import Progress, SystemProgress

TS = "1700000040.000100"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def refused(slack: SlackHarness) -> list[str]:
    return [f"{c.method}: {c.error}" for c in slack.standin.calls if c.error is not None]


# ---------------------------------------------------------------- through the app


async def test_a_3200_character_request_gets_a_proper_answer_and_no_call_is_refused(
    slack: SlackHarness,
) -> None:
    mention = payloads.app_mention(
        "brief me on " + "x" * 3200, user=DANA, channel=CHANNEL, ts=TS, event_id="Ev0LONG"
    )
    await slack.send(mention)
    detail = await slack.finished("slack-Ev0LONG", timeout=15)

    assert refused(slack) == []
    assert (detail.run.status, detail.run.answer_kind) == ("completed", "notice")
    # One answer ("which customer?" or "I couldn't find…"), in the thread or to Dana alone.
    shown = [c.args for c in slack.answers()] + slack.standin.ephemerals(DANA)
    assert len(shown) == 1, shown
    [answer] = shown
    assert answer.get("thread_ts") == TS
    assert "went wrong" not in block_texts(answer)
    for block in answer["blocks"]:
        text = block.get("text") or {}
        assert len(text.get("text", "")) <= 3000


async def test_a_briefing_on_a_customer_with_an_ampersand_is_escaped(slack: SlackHarness) -> None:
    await slack.send(
        payloads.app_mention(
            "brief me on lumenoak.com", user=DANA, channel=CHANNEL, ts=TS, event_id="Ev0AMP"
        )
    )
    [answer] = await slack.wait_for_answers()
    await slack.finished("slack-Ev0AMP")

    assert refused(slack) == []
    assert answer.args["text"].startswith("Briefing on Lumen &amp; Oak Interiors: ")
    header, context = answer.args["blocks"][:2]
    # A header is plain text: Slack shows it as sent, so it is not escaped.
    assert header["text"] == {"type": "plain_text", "text": "Briefing: Lumen & Oak Interiors"}
    assert context["elements"][0]["text"].startswith("lumenoak.com · <!date^")
    [progress] = [m for m in slack.thread(CHANNEL, TS) if m.history]
    assert (
        progress.text == "Briefing on *Lumen &amp; Oak Interiors* below: 6 of 6 systems answered."
    )


async def test_the_briefing_header_shows_its_time_in_each_readers_zone(
    slack: SlackHarness,
) -> None:
    await slack.send(
        payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0DATE")
    )
    [answer] = await slack.wait_for_answers()
    await slack.finished("slack-Ev0DATE")

    context = answer.args["blocks"][1]["elements"][0]["text"]
    found = re.search(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]+)>", context)
    assert found, context
    at = datetime.fromtimestamp(int(found.group(1)), UTC)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
    assert found.group(2) == f"{at:%a}, {at:%b} {at.day}, {at:%H:%M} UTC"
    assert context.endswith(" UTC> · run `slack-Ev0DATE`")


async def test_an_unknown_customer_gets_one_message(slack: SlackHarness) -> None:
    await slack.send(
        payloads.app_mention(
            "brief me on Globex Industries", user=DANA, channel=CHANNEL, ts=TS, event_id="Ev0GLX"
        )
    )
    await slack.finished("slack-Ev0GLX")

    # Either told at once (to Dana alone), or the progress message became the notice.
    posted, private = slack.standin.messages(CHANNEL), slack.standin.ephemerals()
    texts = [m.text for m in posted] + [str(e["text"]) for e in private]
    assert len(texts) == 1, texts
    assert "Globex Industries" in texts[0]
    if posted:
        assert [a.method for a in slack.answers()] == ["chat.update"]
    assert refused(slack) == []


# ---------------------------------------------------------------- the stand-in refuses


@pytest.fixture
async def standin() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(standin: SlackWebApiStandIn) -> AsyncWebClient:
    return web_client(TOKEN, standin.base_url)


async def test_the_stand_in_refuses_a_section_over_3000_characters_as_slack_does(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with pytest.raises(SlackApiError) as refusal:
        await client.chat_postMessage(channel=CHANNEL, text="hi", blocks=[block])

    body = refusal.value.response.data
    assert isinstance(body, dict)
    assert body["error"] == "invalid_blocks"
    assert body["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert standin.messages() == []


async def test_the_stand_in_refuses_too_long_text_and_too_much_block_text(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as long_text:
        await client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)
    sections = [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 2_900}}] * 5
    with pytest.raises(SlackApiError) as long_blocks:
        await client.chat_postMessage(channel=CHANNEL, text="hi", blocks=sections)
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as many:
        await client.chat_postMessage(channel=CHANNEL, text="hi", blocks=too_many)

    assert long_text.value.response["error"] == "msg_too_long"
    assert long_blocks.value.response["error"] == "msg_blocks_too_long"
    assert many.value.response["error"] == "invalid_blocks"
    await client.chat_postMessage(channel=CHANNEL, text="x" * 40_000, blocks=sections[:4])
    assert [c.error for c in standin.calls] == [
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_blocks",
        None,
    ]


async def test_the_stand_in_allows_100_blocks_in_a_home_view_but_not_101(
    client: AsyncWebClient,
) -> None:
    blocks = [{"type": "divider"}] * 100
    await client.views_publish(user_id=DANA, view={"type": "home", "blocks": blocks})
    with pytest.raises(SlackApiError) as refusal:
        await client.views_publish(
            user_id=DANA, view={"type": "home", "blocks": [*blocks, *blocks[:1]]}
        )
    assert refusal.value.response["error"] == "invalid_blocks"


# ---------------------------------------------------------------- the progress message


def request(thread_ts: str | None = TS) -> RunRequest:
    objective = Objective(
        text="brief me on Globex Industries",
        trigger="slack_mention" if thread_ts else "slack_command",
        trigger_id="Ev0GLOBEX",
        reply=ReplyTarget(kind="slack", channel=CHANNEL, thread_ts=thread_ts, user_id=DANA),
        received_at=NOW,
    )
    dana = Principal(email="dana.reyes@northwind.example", name="Dana Reyes")
    return RunRequest(run_id="slack-Ev0GLOBEX", objective=objective, principal=dana)


def progress(state: str = "waiting", *, answered: int = 0) -> Progress:
    systems = tuple(
        SystemProgress(
            system=s,
            label=s.upper(),
            state="skipped" if state == "done" else "ok" if i < answered else "waiting",
        )
        for i, s in enumerate(("crm", "billing"))
    )
    return Progress(subject="Globex Industries", systems=systems)


ACME_BRIEFING = Briefing(
    run_id="slack-Ev0GLOBEX",
    account=AccountRef(account_id="a1", name="Acme Corporation", domain="acme.io"),
    generated_at=NOW,
    sections=(Section(key="crm", title="Account & deals", source="CRM", status="empty"),),
)
NOT_FOUND = Notice(
    run_id="slack-Ev0GLOBEX",
    reason="unknown_customer",
    title="I couldn't find a customer called “Globex Industries”",
    text="No customer in the CRM or the other systems matches “Globex Industries”.",
)


async def test_a_notice_after_the_progress_message_becomes_that_message(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    reporter = SlackReporter(client)
    handle = await reporter.started(request(), progress())
    await reporter.progress(request(), handle, progress("done"))
    await reporter.finished(request(), handle, NOT_FOUND)

    [message] = standin.messages(CHANNEL)
    assert (message.ts, message.thread_ts) == (handle, TS)
    assert message.text.startswith("I couldn't find a customer called “Globex Industries”. ")
    assert message.history[0].text == "Gathering *Globex Industries* from 2 systems… (0/2)"
    [posted] = standin.calls_to("chat.postMessage")
    assert not is_answer(posted.args)
    final = standin.calls_to("chat.update")[-1]
    assert final.args["metadata"] == {
        "event_type": "crosswire_answer",
        "event_payload": {"run_id": "slack-Ev0GLOBEX"},
    }
    assert all(c.error is None for c in standin.calls)


async def test_the_progress_message_says_so_when_the_answer_could_not_be_posted(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    reporter = SlackReporter(client)
    handle = await reporter.started(request(thread_ts=None), progress())
    standin.fail_next("chat.postMessage", "is_archived")
    with pytest.raises(DeliveryError):
        await reporter.finished(request(thread_ts=None), handle, ACME_BRIEFING)

    [message] = standin.messages(CHANNEL)
    assert message.text.startswith(":warning: I gathered the briefing on *Acme Corporation*")
    assert "is_archived" in message.text


async def test_a_report_held_up_on_the_thread_status_never_edits_an_older_count_in(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    """Two steps finish at once; the first one's report waits on Slack to set the thread's
    status, the second's goes straight to its edit. The message never goes back to 1/2."""
    reporter = SlackReporter(client)
    handle = await reporter.started(request(), progress())
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_the_first_status(call: RecordedCall) -> None:
        if call.method == "assistant.threads.setStatus" and not held.is_set():
            held.set()
            await release.wait()

    standin.subscribe(hold_the_first_status)
    first = asyncio.create_task(reporter.progress(request(), handle, progress(answered=1)))
    await held.wait()
    await reporter.progress(request(), handle, progress(answered=2))
    release.set()
    await first
    await reporter.finished(request(), handle, ACME_BRIEFING)

    edits = [str(c.args["text"]) for c in standin.calls_to("chat.update")]
    assert edits[-2:] == [
        "Gathered *Globex Industries* from 2 of 2 systems.",
        "Briefing on *Acme Corporation* below: 1 of 1 systems answered.",
    ], edits


async def test_a_step_that_moves_no_system_on_edits_nothing(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    """Two steps on one system: the first to finish leaves the system as it was, whether
    that is as the message was posted or as it was last edited (each edit spends Slack's
    rate limit on chat.update)."""
    reporter = SlackReporter(client)
    handle = await reporter.started(request(), progress())
    for state in (progress(), progress(answered=1), progress(answered=1), progress(answered=2)):
        await reporter.progress(request(), handle, state)
        await asyncio.sleep(0)  # the queued edit goes out before the next report
    await reporter.finished(request(), handle, ACME_BRIEFING)

    edits = [str(c.args["text"]) for c in standin.calls_to("chat.update")]
    assert edits == [
        "Gathering *Globex Industries* from 2 systems… (1/2)",
        "Gathered *Globex Industries* from 2 of 2 systems.",
        "Briefing on *Acme Corporation* below: 1 of 1 systems answered.",
    ], edits

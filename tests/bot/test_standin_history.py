"""Contract tests: reading a channel or thread back from the Slack stand-in, metadata included,
as slack_sdk's real AsyncWebClient reads Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack_api import SlackWebApiStandIn

TOKEN = "xoxb-sandbox"
CHANNEL = "C0HISTORY"
MARK = {"event_type": "crosswire_answer", "event_payload": {"run_id": "slack-Ev0ONE"}}


@pytest.fixture
async def slack() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackWebApiStandIn) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.base_url, token=TOKEN)


async def post(client: AsyncWebClient, text: str, **kw: object) -> str:
    response = await client.chat_postMessage(channel=CHANNEL, text=text, **kw)
    return str(response["ts"])


async def test_history_is_newest_first_top_level_only_and_pages_with_a_cursor(
    client: AsyncWebClient,
) -> None:
    first = await post(client, "one")
    await post(client, "reply", thread_ts=first)
    await post(client, "two")
    await post(client, "three")

    page = await client.conversations_history(channel=CHANNEL, limit=2)
    assert [m["text"] for m in page["messages"]] == ["three", "two"]
    assert page["has_more"] is True
    cursor = page["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["one"]
    assert rest["has_more"] is False
    assert rest["response_metadata"]["next_cursor"] == ""


async def test_oldest_and_latest_bound_what_is_read(client: AsyncWebClient) -> None:
    first = await post(client, "one")
    second = await post(client, "two")
    third = await post(client, "three")
    assert float(first) < float(second) < float(third)

    after = await client.conversations_history(channel=CHANNEL, oldest=first)
    assert [m["text"] for m in after["messages"]] == ["three", "two"]
    between = await client.conversations_history(
        channel=CHANNEL, oldest=first, latest=third, inclusive=True
    )
    assert [m["text"] for m in between["messages"]] == ["three", "two", "one"]


async def test_metadata_is_read_back_only_when_asked_for(client: AsyncWebClient) -> None:
    await post(client, "answer", metadata=MARK)

    plain = await client.conversations_history(channel=CHANNEL)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == MARK


async def test_an_edit_keeps_metadata_unless_it_brings_new(client: AsyncWebClient) -> None:
    ts = await post(client, "progress", metadata={**MARK, "event_type": "crosswire_progress"})
    await client.chat_update(channel=CHANNEL, ts=ts, text="progress (1/6)")
    kept = await client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert kept["messages"][0]["metadata"]["event_type"] == "crosswire_progress"

    await client.chat_update(channel=CHANNEL, ts=ts, text="the answer", metadata=MARK)
    replaced = await client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert replaced["messages"][0]["metadata"] == MARK


async def test_replies_list_a_thread_oldest_first_with_its_metadata(
    client: AsyncWebClient,
) -> None:
    parent = "1700000300.000100"  # a person's message: the stand-in keeps only the bot's
    await post(client, "elsewhere")
    progress = await post(client, "progress", thread_ts=parent)
    answer = await post(client, "answer", thread_ts=parent, metadata=MARK)

    thread = await client.conversations_replies(
        channel=CHANNEL, ts=parent, include_all_metadata=True
    )
    assert [m["ts"] for m in thread["messages"]] == [progress, answer]
    assert thread["messages"][1]["metadata"] == MARK
    assert all(m["thread_ts"] == parent for m in thread["messages"])
    later = await client.conversations_replies(channel=CHANNEL, ts=parent, oldest=progress)
    assert [m["ts"] for m in later["messages"]] == [answer]


async def test_a_channel_the_bot_is_not_in_cannot_be_read(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    slack.add_channel("C0OUT", member=False)
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_history(channel="C0OUT")
    assert refused.value.response["error"] == "not_in_channel"


async def test_malformed_metadata_is_refused(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=CHANNEL, text="x", metadata={"event_payload": {}})
    assert refused.value.response["error"] == "invalid_metadata_format"

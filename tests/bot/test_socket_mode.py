"""Socket Mode, the manifest's default: events arrive over a WebSocket in envelopes, and the
app must send each envelope id back (its ack) before doing the work."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.reporters.slack import is_answer
from bot.sandbox import payloads
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import SlackBot, slack_bot
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, TOKEN

APP_TOKEN = "xapp-1-test"


@pytest.fixture
async def socket_bot(settings: Settings) -> AsyncIterator[tuple[SlackWebApiStandIn, SlackBot]]:
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, "dana.reyes@northwind.example", "Dana Reyes")
        client = web_client(TOKEN, standin.base_url)
        async with slack_bot(settings, client, signing_secret="") as bot:
            handler = AsyncSocketModeHandler(bot.app, APP_TOKEN)
            await handler.connect_async()  # type: ignore[no-untyped-call]
            await standin.socket_mode.wait_connected()
            try:
                yield standin, bot
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]


def _answers(standin: SlackWebApiStandIn) -> list[dict[str, object]]:
    return [
        c.args
        for c in standin.calls_to("chat.postMessage")
        if c.error is None and is_answer(c.args)
    ]


async def test_a_mention_over_socket_mode_is_acked_and_answered(
    socket_bot: tuple[SlackWebApiStandIn, SlackBot],
) -> None:
    standin, bot = socket_bot
    mention = json.loads(
        payloads.app_mention(
            "brief me on Acme",
            user=DANA,
            channel=CHANNEL,
            ts="1700000200.000100",
            event_id="Ev0SOCKET",
        ).body
    )
    envelope = await standin.socket_mode.send(mention)
    await standin.socket_mode.wait_acked(envelope)
    await standin.wait_for(lambda s: len(_answers(s)) == 1, timeout=15)
    [answer] = _answers(standin)
    assert answer["thread_ts"] == "1700000200.000100"
    assert "Briefing: Acme Corporation" in json.dumps(answer["blocks"])
    # Slack redelivers the same event (retry_attempt 1): acked again, no second run.
    retry = await standin.socket_mode.send(mention, retry_attempt=1)
    await standin.socket_mode.wait_acked(retry)
    detail = await bot.services.audit.get_run("slack-Ev0SOCKET")
    assert detail is not None
    await standin.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 2, timeout=5)
    assert len(_answers(standin)) == 1


async def test_socket_mode_refuses_a_bot_token(
    socket_bot: tuple[SlackWebApiStandIn, SlackBot],
) -> None:
    standin, _ = socket_bot
    client = web_client(TOKEN, standin.base_url)
    with pytest.raises(SlackApiError) as refused:
        await client.api_call("apps.connections.open")
    assert refused.value.response["error"] == "invalid_auth"

"""Slack is acknowledged only for what is durable: every ask is in the inbox when its ack
leaves (HTTP and Socket Mode), an ask the database cannot take is not acknowledged (Slack
sends it again), and the asks a crash left pending are answered at the next start, once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy import select, text, update

from bot.inbound import event_ask
from bot.reporters.slack import is_answer
from bot.sandbox import payloads
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import SlackBot, slack_bot
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, TOKEN, SlackHarness, start_harness
from workflows.audit import AuditStore
from workflows.audit.tables import inbox
from workflows.engine.replicas import ReplicaWatch
from workflows.inbox import Inbox


async def inbox_rows(slack: SlackHarness) -> dict[str, str]:
    """Every inbox row's key and status."""
    async with slack.services.audit.engine.connect() as conn:
        rows = (await conn.execute(select(inbox.c.key, inbox.c.status))).all()
    return {key: status for key, status in rows}


async def until_done(slack: SlackHarness, *keys: str) -> None:
    """Wait until each of ``keys`` is marked done (once its run has started)."""
    async with asyncio.timeout(5):
        # The marks are written by the inbox's own thread, which announces nothing.
        while {(await inbox_rows(slack)).get(key) for key in keys} != {"done"}:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_every_ask_is_in_the_inbox_when_slack_gets_its_ack(slack: SlackHarness) -> None:
    asks = [
        payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0IN1"),
        payloads.direct_message("brief me on Acme", user=DANA, channel="D0DANA", event_id="Ev0IN2"),
        slack.command("brief acme.io", trigger_id="111.1.inbox"),
    ]
    for ask in asks:
        assert (await slack.send(ask)).status == 200
    asks_keys = ("slack-Ev0IN1", "slack-Ev0IN2", "slack-cmd-111.1.inbox")
    assert set(await inbox_rows(slack)) == set(asks_keys)

    assert (await slack.send(slack.command("help", trigger_id="111.2.help"))).status == 200
    assert "slack-cmd-111.2.help" not in await inbox_rows(slack)  # help starts no run

    await slack.wait_for_answers(3)
    await until_done(slack, *asks_keys)


async def test_an_ask_the_database_cannot_record_is_not_acknowledged(
    slack: SlackHarness,
) -> None:
    mention = payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0DB")
    async with slack.services.audit.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))

    refused = await slack.send(mention)

    assert refused.status == 503
    assert slack.standin.calls_to("users.info") == []
    assert slack.standin.calls_to("chat.postMessage") == []
    async with slack.services.audit.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    # Slack sends what it did not see acknowledged again; this time it is answered.
    assert (await slack.send(mention, retry_num=1)).status == 200
    [answer] = await slack.wait_for_answers()
    assert answer.args["metadata"]["event_payload"]["run_id"] == "slack-Ev0DB"


async def record_as_a_crashed_server_left_them(
    settings: Settings, mentions: list[payloads.Payload], *, executor: str | None = None
) -> None:
    """Asks in the inbox, acknowledged by ``executor`` (this one by default), with nothing
    done about them yet."""
    audit = await AuditStore.open(settings.audit_database_url)
    store = Inbox.on(settings.audit_database_url, executor or settings.executor_id, audit.clock)
    for mention in mentions:
        ask = event_ask(json.loads(mention.body), "slack_mention")
        assert ask is not None
        await store.receive(f"slack-{ask.trigger_id}", ask.model_dump(mode="json"))
    await store.close()
    await audit.close()


async def test_asks_a_crash_left_pending_are_answered_at_the_next_start(
    settings: Settings,
) -> None:
    mentions = [
        payloads.app_mention(
            "brief me on Acme", user=DANA, channel=CHANNEL, event_id=f"Ev0LEFT{i}", ts=f"17.{i}"
        )
        for i in range(3)
    ]
    await record_as_a_crashed_server_left_them(settings, mentions)

    async with start_harness(settings) as slack:
        answers = await slack.wait_for_answers(3)
        await asyncio.sleep(0.3)  # a second answer to any of them would show by now

        assert sorted(a.args["thread_ts"] for a in slack.answers()) == ["17.0", "17.1", "17.2"]
        assert len(answers) == 3
        for i in range(3):
            detail = await slack.finished(f"slack-Ev0LEFT{i}")
            assert detail.run.status == "completed"


async def test_an_ask_whose_run_started_before_the_crash_is_not_run_again(
    settings: Settings,
) -> None:
    mention = payloads.app_mention(
        "brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0RAN"
    )
    async with start_harness(settings) as first:
        await first.send(mention)
        await first.wait_for_answers()
        await first.finished("slack-Ev0RAN")
    # As if the crash came after the run started and before the row was marked done.
    audit = await AuditStore.open(settings.audit_database_url)
    async with audit.engine.begin() as conn:
        await conn.execute(update(inbox).values(status="pending"))
    await audit.close()

    async with start_harness(settings) as second:
        await until_done(second, "slack-Ev0RAN")
        assert second.answers() == []
        assert second.standin.calls_to("users.info") == []
        detail = await second.finished("slack-Ev0RAN")
        assert not any(e.kind == "duplicate" for e in detail.events)


async def test_what_a_dead_replica_acknowledged_is_answered_by_a_live_one(
    settings: Settings,
) -> None:
    mentions = [
        payloads.app_mention(
            "brief me on Acme", user=DANA, channel=CHANNEL, event_id=f"Ev0DEAD{i}", ts=f"18.{i}"
        )
        for i in range(2)
    ]
    await record_as_a_crashed_server_left_them(settings, mentions, executor="replica-2")
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, "dana.reyes@northwind.example", "Dana Reyes")
        async with slack_bot(
            settings, web_client(TOKEN, standin.base_url), signing_secret=""
        ) as bot:
            engine = bot.services.audit.engine
            await ReplicaWatch(engine, "replica-2", clock=lambda: long_ago).beat()
            watch = ReplicaWatch(engine, settings.executor_id, takeovers=[bot.inbox.take_over])
            assert standin.calls_to("chat.postMessage") == []  # not this replica's asks

            assert await watch.sweep() == ["replica-2"]

            await standin.wait_for(lambda s: len(answered(s)) == 2, timeout=15)
            await asyncio.sleep(0.3)  # a second answer to either would show by now
            assert sorted(a["thread_ts"] for a in answered(standin)) == ["18.0", "18.1"]


def answered(standin: SlackWebApiStandIn) -> list[dict[str, Any]]:
    return [
        c.args
        for c in standin.calls_to("chat.postMessage")
        if c.error is None and is_answer(c.args)
    ]


# ------------------------------------------------------------------ Socket Mode


@pytest.fixture
async def socket_bot(settings: Settings) -> AsyncIterator[tuple[SlackWebApiStandIn, SlackBot]]:
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, "dana.reyes@northwind.example", "Dana Reyes")
        client = web_client(TOKEN, standin.base_url)
        async with slack_bot(settings, client, signing_secret="") as bot:
            handler = AsyncSocketModeHandler(bot.app, "xapp-1-test")
            await handler.connect_async()  # type: ignore[no-untyped-call]
            await standin.socket_mode.wait_connected()
            try:
                yield standin, bot
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]


async def test_socket_mode_acks_an_envelope_only_once_its_ask_is_recorded(
    socket_bot: tuple[SlackWebApiStandIn, SlackBot],
) -> None:
    standin, bot = socket_bot
    body = payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0SM")
    mention = json.loads(body.body)
    async with bot.services.audit.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))

    unrecorded = await standin.socket_mode.send(mention)
    with pytest.raises(TimeoutError):
        await standin.socket_mode.wait_acked(unrecorded, timeout=0.5)

    async with bot.services.audit.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    retry = await standin.socket_mode.send(mention, retry_attempt=1)
    await standin.socket_mode.wait_acked(retry)
    async with bot.services.audit.engine.connect() as conn:
        keys = (await conn.execute(select(inbox.c.key))).scalars().all()
    assert keys == ["slack-Ev0SM"]

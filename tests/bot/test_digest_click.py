"""The digest's "Full briefing" button, clicked in Slack: a real digest (made by the engine
on the demo world) is posted in #sales, and a signed ``block_actions`` click on its Acme
button reaches the real app, which starts a briefing on Acme for the clicker through the
same inbox, intake and engine as a typed request, in the digest's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.render import kit
from bot.render.digest import FULL_BRIEFING, digest_blocks, digest_fallback
from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, STRANGER, SlackHarness, block_texts, start_harness
from tests.workflows.digest_env import digest_env
from workflows.answers import Digest

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def real_digest(state: Path) -> Digest:
    async with digest_env(state, NOON) as env:
        answer = await env.ask("my meetings today")
    assert isinstance(answer, Digest) and answer.meetings
    return answer


@pytest.fixture
async def posted(tmp_path: Path) -> AsyncIterator[tuple[SlackHarness, str, list[dict[str, Any]]]]:
    """The harness, and the digest as posted in #sales (its ts and blocks)."""
    digest = await real_digest(tmp_path)  # its files beside the harness's state folder
    # No scheduler: a pre-meeting briefing due meanwhile would be one more answer.
    settings = Settings(state_dir=tmp_path / "state", scheduler=False)
    async with start_harness(settings) as slack:
        blocks = kit.fit(digest_blocks(digest))
        response = await slack.app.client.chat_postMessage(
            channel=CHANNEL, text=digest_fallback(digest), blocks=blocks
        )
        yield slack, str(response["ts"]), blocks


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Each meeting's button: its section's text → the button's value."""
    return {
        b["text"]["text"]: b["accessory"]["value"]
        for b in blocks
        if b["type"] == "section" and (b.get("accessory") or {}).get("action_id") == FULL_BRIEFING
    }


def click(digest_ts: str, value: str, *, user: str = DANA, trigger: str) -> payloads.Payload:
    return payloads.block_action(
        FULL_BRIEFING,
        value,
        user_id=user,
        channel_id=CHANNEL,
        message_ts=digest_ts,
        trigger_id=trigger,
        label="Full briefing",
    )


async def test_the_button_briefs_the_clicker_in_the_digest_s_thread(
    posted: tuple[SlackHarness, str, list[dict[str, Any]]],
) -> None:
    slack, digest_ts, blocks = posted
    acme = next(v for text, v in buttons(blocks).items() if "Acme Corporation" in text)
    assert acme == "acct-0001"

    response = await slack.send(click(digest_ts, acme, trigger="1111.2222.abc"))
    assert response.status == 200
    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-click-1111.2222.abc")

    assert answer.args["channel"] == CHANNEL and answer.args["thread_ts"] == digest_ts
    assert "Briefing: Acme Corporation" in block_texts(answer.args["blocks"])
    assert detail.run.requester_email == "dana.reyes@northwind.example"
    assert (detail.run.workflow, detail.run.status) == ("briefing", "completed")
    assert detail.run.objective == "brief me on Acme Corporation"
    assert detail.requester_slack_id == DANA


async def test_a_click_delivered_twice_starts_one_briefing(
    posted: tuple[SlackHarness, str, list[dict[str, Any]]],
) -> None:
    slack, digest_ts, blocks = posted
    value = next(iter(buttons(blocks).values()))
    payload = click(digest_ts, value, trigger="3333.4444.def")

    await slack.send(payload)
    await slack.wait_for_answers()
    await slack.finished("slack-click-3333.4444.def")
    await slack.send(payload, retry_num=1)
    detail = await slack.finished("slack-click-3333.4444.def")

    assert len(slack.answers()) == 1
    assert any(e.kind == "duplicate" for e in detail.events)


async def test_two_clicks_are_two_briefings_one_each(
    posted: tuple[SlackHarness, str, list[dict[str, Any]]],
) -> None:
    slack, digest_ts, blocks = posted
    values = list(dict.fromkeys(buttons(blocks).values()))
    assert len(values) == 2  # Acme and Quantum Freight

    for n, value in enumerate(values):
        await slack.send(click(digest_ts, value, trigger=f"5555.{n}.ghi"))
    answers = await slack.wait_for_answers(2)

    shown = sorted(block_texts(a.args["blocks"]) for a in answers)
    assert "Briefing: Acme Corporation" in shown[0]
    assert "Briefing: Quantum Freight Inc." in shown[1]


async def test_an_account_that_is_gone_is_told_to_the_clicker_alone(
    posted: tuple[SlackHarness, str, list[dict[str, Any]]],
) -> None:
    slack, digest_ts, _ = posted
    payload = payloads.block_action(
        FULL_BRIEFING,
        "acct-9999",
        user_id=DANA,
        channel_id=CHANNEL,
        message_ts=digest_ts,
        response_url=slack.standin.response_url(CHANNEL, DANA),
    )

    assert (await slack.send(payload)).status == 200
    [told] = await slack.wait_only_for(DANA)

    assert "can't find that customer" in str(told["text"])
    assert slack.answers() == []


async def test_a_stranger_s_click_starts_nothing_and_is_told_why(
    posted: tuple[SlackHarness, str, list[dict[str, Any]]],
) -> None:
    slack, digest_ts, blocks = posted
    value = next(iter(buttons(blocks).values()))

    await slack.send(click(digest_ts, value, user=STRANGER, trigger="7777.8888.jkl"))
    [told] = await slack.wait_only_for(STRANGER)
    detail = await slack.finished("slack-click-7777.8888.jkl")

    assert "don't know who you are" in block_texts(told)
    assert detail.run.status == "refused"
    assert slack.answers() == []

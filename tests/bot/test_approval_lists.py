"""``/crosswire approvals`` and the Home tab: what waits for me, what I asked for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.render.approvals import APPROVE_ALL
from bot.sandbox import payloads
from bot.settings import Settings
from tests.bot.approval_env import RACHEL, ApprovalsHarness, start_approvals
from tests.harness import CHANNEL, DANA, STRANGER, block_texts


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[ApprovalsHarness]:
    async with start_approvals(settings) as harness:
        yield harness


async def test_the_command_shows_an_approver_what_waits_with_its_buttons(
    env: ApprovalsHarness,
) -> None:
    approval = await env.create()
    response = await env.slack.send(env.slack.command("approvals", user=RACHEL))
    assert response.status == 200 and response.body == ""

    [shown] = await env.slack.wait_only_for(RACHEL)
    assert shown["via"] == "response_url"
    assert shown["text"] == "1 waiting for you; 0 you asked for."
    blocks = block_texts(shown["blocks"])
    assert "Approve 3 follow-up emails for Dana Reyes" in blocks
    assert "Asked by Dana Reyes" in blocks
    assert f'"value": "{approval.id}"' in blocks and APPROVE_ALL in blocks
    assert "You have no approvals in flight." in blocks
    await asyncio.sleep(0.05)
    assert await env.slack.services.audit.list_runs() == []  # no run started for a listing


async def test_the_command_shows_a_requester_what_she_asked_for(env: ApprovalsHarness) -> None:
    await env.create()
    await env.slack.send(env.slack.command("approvals", user=DANA))

    [shown] = await env.slack.wait_only_for(DANA)
    blocks = block_texts(shown["blocks"])
    assert "Nothing waits for your decision." in blocks
    assert "waiting for Rachel Kim until <!date^" in blocks
    assert APPROVE_ALL not in blocks


async def test_a_button_in_the_listing_decides_like_the_message(env: ApprovalsHarness) -> None:
    approval = await env.create()
    click = payloads.block_action(
        APPROVE_ALL,
        approval.id,
        user_id=RACHEL,
        channel_id=CHANNEL,
        message_ts="",
        ephemeral=True,
        response_url=env.standin.response_url(CHANNEL, RACHEL),
    )
    await env.slack.send(click)
    await env.wakes.reached()
    stored = await env.store.get(approval.id)
    assert stored is not None and stored.status == "approved"


async def test_someone_unknown_asking_for_the_listing_is_told_why(env: ApprovalsHarness) -> None:
    await env.slack.send(env.slack.command("approvals", user=STRANGER))
    [shown] = await env.slack.wait_only_for(STRANGER)
    assert "does not match anyone in the company directory" in shown["text"]


async def test_the_home_tab_lists_both_sections_first(env: ApprovalsHarness) -> None:
    approval = await env.create()
    await env.slack.send(payloads.app_home_opened(RACHEL))
    await env.standin.wait_for(lambda s: RACHEL in s.workspace.home_views)

    view = env.standin.workspace.home_views[RACHEL]
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers[:2] == ["Waiting for you", "You asked for"]
    assert approval.id in block_texts(view["blocks"])
    assert "I build customer briefings" in block_texts(view["blocks"])


async def test_the_home_tab_of_someone_unknown_is_the_plain_tab(env: ApprovalsHarness) -> None:
    await env.create()
    await env.slack.send(payloads.app_home_opened(STRANGER))
    await env.standin.wait_for(lambda s: STRANGER in s.workspace.home_views)

    view = env.standin.workspace.home_views[STRANGER]
    assert "Waiting for you" not in block_texts(view["blocks"])
    assert "I build customer briefings" in block_texts(view["blocks"])

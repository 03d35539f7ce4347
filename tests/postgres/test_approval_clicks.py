"""Approval clicks on PostgreSQL: two approvers clicking at once give one decision."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.render.approvals import APPROVE_ALL
from bot.settings import Settings
from tests.bot.approval_env import RACHEL, RACHEL_EMAIL, VICTOR, VICTOR_EMAIL, start_approvals


async def test_two_approvers_at_once_one_decision_the_other_told(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False, database_url=postgres_url)
    async with start_approvals(settings) as env:
        approval = await env.create(approvers=(RACHEL_EMAIL, VICTOR_EMAIL))
        clicks = [env.click(APPROVE_ALL, approval, user) for user in (RACHEL, VICTOR)]
        await asyncio.gather(*(env.slack.send(click) for click in clicks))

        await env.wakes.reached()
        await env.standin.wait_for(lambda _: len(env.told(RACHEL) + env.told(VICTOR)) == 1)
        await asyncio.sleep(0.05)
        assert len(env.wakes.sent) == 1
        stored = await env.store.get(approval.id)
        assert stored is not None and stored.status == "approved"
        [told] = env.told(RACHEL) + env.told(VICTOR)
        assert told.startswith(f"Already approved by {stored.decided_by_name} at 14:00 UTC")

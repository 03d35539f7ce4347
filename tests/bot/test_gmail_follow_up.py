"""The webinar follow-up through the real bot with Gmail connected by settings alone: after
Rachel approves, each prospect's email goes out through the Gmail stand-in exactly once, even
when Gmail accepted one and its answer was lost (the engine's retry finds it sent), and the
demo outbox sends nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.render.approvals import APPROVE_ALL
from bot.settings import Settings
from connectors.config import ConnectorsConfig
from connectors.demo import open_demo_world
from connectors.google.standin import GoogleStandIn, unavailable
from tests.bot.approval_story import (
    DANA_EMAIL,
    RACHEL,
    START,
    sent_by,
    start_story,
    webinar_prospects,
)
from tests.connectors.google_env import google_config, google_standin, write_key_file
from workflows.approvals import approval_id
from workflows.clock import ManualClock


@pytest.fixture
async def gmail(tmp_path: Path) -> AsyncIterator[tuple[GoogleStandIn, ManualClock]]:
    clock = ManualClock(START)
    world = await open_demo_world(tmp_path / "seed.sqlite", clock=clock)
    with google_standin(clock) as standin:
        await standin.seed_from(world)
        await world.close()
        yield standin, clock


async def test_approved_follow_ups_go_out_through_gmail_once_each(
    tmp_path: Path, gmail: tuple[GoogleStandIn, ManualClock]
) -> None:
    standin, clock = gmail
    google = google_config(standin, write_key_file(tmp_path), calendar=False)
    settings = Settings(
        state_dir=tmp_path / "state", scheduler=False, step_timeout_s=2.0,
        connectors=ConnectorsConfig(google=google),
    )  # fmt: skip
    # Gmail takes the first email but its answer is lost: the engine sends that step again.
    standin.lose_answers(unavailable(503), on="/gmail/v1/users/me/messages/send")
    async with start_story(settings, clock) as story:
        asked = await story.ask("Ev0GMAIL")
        [post] = story.approval_posts(asked.run_id)
        clock.advance(timedelta(minutes=7))
        response = await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
        assert response.status == 200
        detail = await story.slack.finished(asked.run_id, timeout=30.0)
        approval = await story.slack.services.desk.store.get(approval_id(asked.run_id, "send"))
        prospects = await webinar_prospects(story.world, DANA_EMAIL)
        demo_outbox = await sent_by(story.world, asked.run_id)

    assert approval is not None and detail.run.status == "completed"
    recipients = [m.header("To").lower() for m in standin.sent]
    assert sorted(recipients) == sorted(prospects) and len(set(recipients)) == len(recipients)
    keys = sorted(m.header("X-Crosswire-Idempotency-Key") for m in standin.sent)
    assert keys == sorted(f"{asked.run_id}:send:{i.index}" for i in approval.items)
    assert all(m.header("From") == DANA_EMAIL for m in standin.sent)
    by_to = {str(i.args["to"]).lower(): i for i in approval.items}
    for message in standin.sent:
        item = by_to[message.header("To").lower()]
        assert message.header("Subject") == item.args["subject"]
        assert message.body.strip() == str(item.args["body"]).strip()
    assert demo_outbox == []
    sends = [s for s in standin.seen if s.path == "/gmail/v1/users/me/messages/send"]
    looked = [s for s in standin.seen if "rfc822msgid:" in s.param("q")]
    assert len(sends) == len(prospects)  # the retried one was found sent, not sent again
    assert len(looked) == len(prospects) + 1

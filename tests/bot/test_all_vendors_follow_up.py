"""The webinar follow-up through the real bot with every vendor connected at once (Stripe,
HubSpot, Zendesk, Gmail and Calendar), by the tables and environment the stand-in drill hands
out: after Rachel approves, each prospect's email goes out through the Gmail stand-in exactly
once and is logged once as an email activity in HubSpot, even when Gmail and HubSpot each took
a request whose answer was lost (the engine's retry finds it done), and the demo outbox and
the demo CRM log nothing."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.render.approvals import APPROVE_ALL
from bot.settings import Settings
from connectors.config import ConnectorsConfig, secrets_from
from connectors.demo import open_demo_world
from connectors.standin import unavailable
from connectors.vendor_standins import VendorStandIns, vendor_standins
from tests.bot.approval_story import (
    DANA_EMAIL,
    RACHEL,
    START,
    activities_logged_by,
    sent_by,
    start_story,
    webinar_prospects,
)
from workflows.approvals import approval_id
from workflows.clock import ManualClock

SEND = "/gmail/v1/users/me/messages/send"
LOG = "/crm/v3/objects/emails"


@pytest.fixture
async def vendors(tmp_path: Path) -> AsyncIterator[tuple[VendorStandIns, ManualClock]]:
    clock = ManualClock(START)
    world = await open_demo_world(tmp_path / "seed.sqlite", clock=clock)
    try:
        async with vendor_standins(world, tmp_path / "keys", now=clock.now) as standins:
            await world.close()
            yield standins, clock
    finally:
        await world.close()


def configured(standins: VendorStandIns) -> ConnectorsConfig:
    """The ``[connectors]`` table as ``crosswire.toml`` would hold it, with the secrets from
    the environment the drill names, read as settings read them."""
    table = tomllib.loads(standins.tables())["connectors"]
    for connector, secrets in secrets_from(standins.environment(), table).items():
        table[connector] |= secrets
    # This story's clock stands still until the test moves it, and a rate budget refills on
    # that clock: budgets this test never reaches (pacing has tests of its own).
    unpaced = {"per_second": 10_000, "burst": 10_000}
    table["rate_limits"] = dict.fromkeys(
        ("crm", "support", "billing", "email", "calendar"), unpaced
    )
    return ConnectorsConfig.model_validate(table)


async def test_approved_follow_ups_go_out_once_each_with_every_vendor_connected(
    tmp_path: Path, vendors: tuple[VendorStandIns, ManualClock]
) -> None:
    standins, clock = vendors
    settings = Settings(
        state_dir=tmp_path / "state", scheduler=False, step_timeout_s=2.0,
        connectors=configured(standins),
    )  # fmt: skip
    async with start_story(settings, clock) as story:
        asked = await story.ask("Ev0ALLVENDORS")
        [post] = story.approval_posts(asked.run_id)
        # Each vendor takes the first write but its answer is lost: the engine sends it
        # again. (Set once the reads are done: HubSpot's email searches share the path.)
        standins.google.lose_answers(unavailable(503), on=SEND)
        standins.hubspot.lose_answers(unavailable(503), on=LOG)
        clock.advance(timedelta(minutes=7))
        response = await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
        assert response.status == 200
        detail = await story.slack.finished(asked.run_id, timeout=30.0)
        approval = await story.slack.services.desk.store.get(approval_id(asked.run_id, "send"))
        prospects = await webinar_prospects(story.world, DANA_EMAIL)
        demo_outbox = await sent_by(story.world, asked.run_id)
        demo_activities = await activities_logged_by(story.world, asked.run_id)

    assert approval is not None and detail.run.status == "completed"
    assert prospects and demo_outbox == [] and demo_activities == []
    sent = standins.google.sent
    assert sorted(m.header("To").lower() for m in sent) == sorted(prospects)
    keys = sorted(m.header("X-Crosswire-Idempotency-Key") for m in sent)
    assert keys == sorted(f"{asked.run_id}:send:{i.index}" for i in approval.items)
    assert all(m.header("From") == DANA_EMAIL for m in sent)
    sends = [s for s in standins.google.seen if s.method == "POST" and s.path == SEND]
    assert len(sends) == len(prospects)  # the retried one was found sent, not sent again

    logged = [
        e
        for e in standins.hubspot.objects["emails"].values()
        if str(e["properties"].get("crosswire_idempotency_key", "")).startswith(asked.run_id)
    ]
    subjects = sorted(str(e["properties"]["hs_email_text"]) for e in logged)
    assert subjects == sorted(str(i.args["subject"]) for i in approval.items)
    log_keys = sorted(str(e["properties"]["crosswire_idempotency_key"]) for e in logged)
    assert log_keys == sorted(f"{asked.run_id}:log:{n}" for n in range(len(prospects)))
    creates = [s for s in standins.hubspot.seen if s.method == "POST" and s.path == LOG]
    assert len(creates) == len(prospects)  # the retried one was found logged

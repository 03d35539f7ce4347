"""A system that is down costs its section, named as missing, not the briefing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, SlackHarness, start_harness
from workflows.audit.records import RunDetail

SOURCES = ("CRM", "Mailbox", "Support desk", "Contracts", "Product usage", "Billing")
TS = "1700000030.000100"


@pytest.fixture
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    settings = Settings(state_dir=tmp_path / "state", **request.param)
    async with start_harness(settings) as slack:
        yield slack


def sections_by_source(blocks: list[dict[str, object]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in blocks:
        text = block.get("text")
        if block["type"] == "section" and isinstance(text, dict):
            for source in SOURCES:
                if f"_from {source}_" in text["text"]:
                    found[source] = text["text"]
    return found


async def brief(slack: SlackHarness, event_id: str) -> tuple[dict[str, str], RunDetail]:
    await slack.send(
        payloads.app_mention(
            "brief me on Acme", user=DANA, channel=CHANNEL, ts=TS, event_id=event_id
        )
    )
    [answer] = await slack.wait_for_answers()
    detail = await slack.finished(f"slack-{event_id}")
    assert answer.args["thread_ts"] == TS
    assert "Acme Corporation" in answer.args["blocks"][0]["text"]["text"]
    return sections_by_source(answer.args["blocks"]), detail


def progress_message(slack: SlackHarness) -> PostedMessage:
    [progress] = [m for m in slack.thread(CHANNEL, TS) if m.history]
    return progress


@pytest.mark.parametrize(
    "harness", [{"demo_faults": "billing=error", "step_timeout_s": 2.0}], indirect=True
)
async def test_billing_down_costs_only_the_billing_section(harness: SlackHarness) -> None:
    sections, detail = await brief(harness, "Ev0BILLDOWN")

    assert set(sections) == set(SOURCES)
    billing = sections["Billing"]
    assert billing.startswith(":x: ")
    assert "Billing could not be reached" in billing
    assert "this section is missing" in billing
    for source in set(SOURCES) - {"Billing"}:
        assert ":x:" not in sections[source], source
        assert "this section is missing" not in sections[source], source

    progress = progress_message(harness)
    assert progress.text == (
        "Briefing on *Acme Corporation* below: 5 of 6 systems answered; unavailable: Billing."
    )
    assert "Gathered *Acme* from 5 of 6 systems; unavailable: Billing." in [
        v.text for v in progress.history
    ]

    assert detail.run.status == "completed"
    steps = {e.system: e for e in detail.steps}
    assert steps["billing"].status == "failed"
    assert steps["billing"].detail["failure"] in ("transient", "permanent")
    assert all(steps[s].status == "ok" for s in steps if s != "billing")


@pytest.mark.parametrize(
    "harness",
    [{"demo_faults": "support=timeout", "step_timeout_s": 0.3, "step_attempts": 1}],
    indirect=True,
)
async def test_support_hanging_is_cut_off_and_named_as_late(harness: SlackHarness) -> None:
    sections, detail = await brief(harness, "Ev0SUPPSLOW")

    support = sections["Support desk"]
    assert support.startswith(":x: ")
    assert "Support desk did not answer in time" in support
    for source in set(SOURCES) - {"Support desk"}:
        assert ":x:" not in sections[source], source

    assert progress_message(harness).text.endswith(
        "5 of 6 systems answered; unavailable: Support desk."
    )

    steps = {e.system: e for e in detail.steps}
    assert (steps["support"].status, steps["support"].detail["failure"]) == ("failed", "timeout")
    assert steps["support"].duration_ms is not None
    assert 250 <= steps["support"].duration_ms < 2000
    assert all(steps[s].status == "ok" for s in steps if s != "support")


@pytest.mark.parametrize(
    "harness",
    [
        {
            "demo_faults": "crm=error,email=error,support=error,contracts=error,"
            "usage=error,billing=error",
            "step_attempts": 1,
        }
    ],
    indirect=True,
)
async def test_every_system_down_still_answers_with_every_section_missing(
    harness: SlackHarness,
) -> None:
    sections, detail = await brief(harness, "Ev0ALLDOWN")

    assert set(sections) == set(SOURCES)
    assert all(s.startswith(":x: ") for s in sections.values())
    assert progress_message(harness).text.endswith(
        "0 of 6 systems answered; unavailable: " + ", ".join(SOURCES) + "."
    )
    assert detail.run.status == "completed"
    assert sorted(e.status for e in detail.steps) == ["failed"] * 6 + ["ok"]

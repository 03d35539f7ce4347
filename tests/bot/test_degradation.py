"""A system that is down costs its section, named as missing, not the briefing."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, SlackHarness, start_harness
from workflows.audit.records import RunDetail
from workflows.clock import ManualClock

SOURCES = ("CRM", "Mailbox", "Support desk", "Contracts", "Product usage", "Billing")
TS = "1700000030.000100"


@pytest.fixture
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False, **request.param)
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
    # The limit leaves the other systems (a fresh process's first reads, on a busy machine)
    # ample time, so only the hung one is cut off.
    [{"demo_faults": "support=timeout", "step_timeout_s": 1.5, "step_attempts": 1}],
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
    assert 1400 <= steps["support"].duration_ms < 6000  # cut off at its limit, not the run's
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


async def brief_in_thread(slack: SlackHarness, n: int) -> tuple[str, RunDetail, float]:
    """The ``n``-th briefing of a test, in a thread of its own: its support section, its
    audited run and the seconds from the signed mention to the answer."""
    ts = f"17000000{n:02d}.000100"
    t0 = time.perf_counter()
    await slack.send(
        payloads.app_mention(
            "brief me on Acme", user=DANA, channel=CHANNEL, ts=ts, event_id=f"Ev0HUNG{n}"
        )
    )
    answers = await slack.wait_for_answers(n)
    wall = time.perf_counter() - t0
    [answer] = [a for a in answers if a.args.get("thread_ts") == ts]
    sections = sections_by_source(answer.args["blocks"])
    assert set(sections) == set(SOURCES)
    assert all(":x:" not in sections[s] for s in set(SOURCES) - {"Support desk"})
    return sections["Support desk"], await slack.finished(f"slack-Ev0HUNG{n}"), wall


def support_step(detail: RunDetail) -> tuple[str | None, float]:
    [step] = [e for e in detail.steps if e.system == "support"]
    return step.detail["failure"], step.duration_ms or 0.0


GRACE = 0.3


async def test_a_hung_support_desk_holds_no_briefing_and_is_then_skipped_until_a_probe(
    tmp_path: Path,
) -> None:
    clock = ManualClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    settings = Settings(
        state_dir=tmp_path / "state",
        scheduler=False,
        demo_faults="support=timeout",
        run_deadline_s=5.0,
        late_grace_s=GRACE,
    )
    async with start_harness(settings, clock=clock) as slack:
        first, first_run, first_wall = await brief_in_thread(slack, 1)
        clock.advance(timedelta(seconds=5))
        _, second_run, _ = await brief_in_thread(slack, 2)
        third, third_run, third_wall = await brief_in_thread(slack, 3)
        clock.advance(timedelta(seconds=31))
        _, probe_run, _ = await brief_in_thread(slack, 4)
        _, after_probe_run, _ = await brief_in_thread(slack, 5)

    assert first.startswith(":x: ")
    assert re.search(r"Support desk did not answer in time \(skipped after 0\.\ds\)", first)
    failure, waited_ms = support_step(first_run)
    assert failure == "late" and GRACE * 1000 <= waited_ms < GRACE * 1000 + 1000
    assert first_wall < GRACE + 2.0, first_wall  # never the 31 s of three 10 s attempts

    assert support_step(second_run)[0] == "late"  # the second timeout in a row opens it

    assert third.startswith(":x: ")
    assert "Support desk is unavailable (no answer the last 2 times it was asked)" in third
    assert "not asked this time" in third
    failure, waited_ms = support_step(third_run)
    assert failure == "circuit_open" and waited_ms < 100
    assert third_wall < first_wall and third_wall < GRACE + 1.0, (third_wall, first_wall)

    assert support_step(probe_run)[0] == "late"  # after the cooldown, one probe: still hung
    assert support_step(after_probe_run)[0] == "circuit_open"

"""The meetings digest through the whole app: typed in Slack, sent by a schedule, asked on
the command line; and its button clicked on the digest as Slack shows it.

The harness's clock is 12:00 UTC on 1 Dec: Dana Reyes still has six customer meetings today
(Acme and Quantum Freight, three each); Rachel Kim manages her.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli.ask import ask
from bot.render.digest import FULL_BRIEFING
from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, SlackHarness, block_texts, start_harness
from workflows.clock import ManualClock
from workflows.models import Objective, Principal, ReplyTarget, RunRequest

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MENTION_TS = "1764590400.000100"


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    # No scheduler: a pre-meeting briefing due meanwhile would be one more answer.
    settings = Settings(state_dir=tmp_path / "state", scheduler=False)
    async with start_harness(settings, clock=ManualClock(NOON)) as h:
        yield h


def meeting_sections(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if (b.get("accessory") or {}).get("action_id") == FULL_BRIEFING]


async def test_typed_in_a_channel_the_digest_comes_to_the_thread_and_its_button_briefs(
    slack: SlackHarness,
) -> None:
    await slack.send(
        payloads.app_mention(
            "today's customer meetings",
            user=DANA,
            channel=CHANNEL,
            ts=MENTION_TS,
            event_id="Ev0DIGEST1",
        )
    )
    [answer] = await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0DIGEST1")

    assert answer.args["thread_ts"] == MENTION_TS
    blocks = answer.args["blocks"]
    assert blocks[0]["text"]["text"] == "Your customer meetings today"
    sections = meeting_sections(blocks)
    assert len(sections) == 6
    assert (detail.run.workflow, detail.run.status) == ("digest", "completed")

    [digest] = [m for m in slack.thread(CHANNEL, MENTION_TS) if m.blocks == blocks]
    acme = next(s for s in sections if "Acme Corporation" in s["text"]["text"])
    click = payloads.block_action(
        FULL_BRIEFING,
        acme["accessory"]["value"],
        user_id=DANA,
        channel_id=CHANNEL,
        message_ts=digest.ts,
        message_blocks=blocks,
        trigger_id="9999.1.digest",
    )
    await slack.send(click)
    answers = await slack.wait_for_answers(2)
    briefing = await slack.finished("slack-click-9999.1.digest")

    assert "Briefing: Acme Corporation" in block_texts(answers[-1].args["blocks"])
    assert briefing.run.requester_email == "dana.reyes@northwind.example"


async def test_a_scheduled_digest_posts_the_team_s_meetings_in_the_channel(
    slack: SlackHarness,
) -> None:
    rachel = Principal(email="rachel.kim@northwind.example", name="Rachel Kim")
    objective = Objective(
        text="today's customer meetings",
        trigger="schedule",
        trigger_id="sch-test:20261201T1200Z",
        reply=ReplyTarget(kind="slack", channel=CHANNEL, progress=False),
        received_at=NOON,
    )
    request = RunRequest(run_id="sch-test-1", objective=objective, principal=rachel)

    await slack.services.engine.submit(request)
    [answer] = await slack.wait_for_answers()

    assert answer.args["channel"] == CHANNEL and answer.args.get("thread_ts") is None
    blocks = answer.args["blocks"]
    assert blocks[0]["text"]["text"] == "Customer meetings today: Rachel Kim's team"
    assert len(meeting_sections(blocks)) == 6
    assert answer.args["text"] == "6 customer meetings today (Rachel Kim's team)."


async def test_asked_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(state_dir=tmp_path / "cli", scheduler=False)

    code = await ask(
        settings, "customer meetings today", email="ben.carter@northwind.example", as_json=False
    )

    assert code == 0
    out = capsys.readouterr().out
    assert "\nYour customer meetings today (" in out  # after the log lines
    assert "No customer meetings today." in out

"""When Claude is overloaded, the offline planner plans and the requester is told so, in the
run's progress message in Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, block_texts, start_harness
from workflows.planning.claude import NETWORK_SWITCH
from workflows.planning.messages_standin import MessagesStandIn, overloaded


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesStandIn]:
    monkeypatch.setenv(NETWORK_SWITCH, "1")
    with MessagesStandIn() as server:
        yield server


async def test_an_overloaded_model_plans_offline_and_says_so(
    tmp_path: Path, standin: MessagesStandIn
) -> None:
    standin.script(overloaded(), times=3)  # the first call and the SDK's two retries
    settings = Settings(
        state_dir=tmp_path / "state",
        scheduler=False,
        anthropic_api_key=standin.api_key,
        anthropic_base_url=standin.url,
    )
    async with start_harness(settings) as slack:
        ts = "1700000001.000100"
        await slack.send(
            payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, ts=ts)
        )
        [answer] = await slack.wait_for_answers(1)
        shown = [block_texts(m.blocks) for m in slack.thread(CHANNEL, ts)]
    assert "Briefing on Acme" in str(answer.args.get("text"))
    assert any("Planned offline: Claude is overloaded right now." in s for s in shown), shown
    assert len(standin.requests) == 3

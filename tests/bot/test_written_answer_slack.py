"""A briefing Claude planned and wrote, through the whole bot: a signed mention, the Messages
API stand-in for the model, the Slack Web API stand-in for the thread. The posted blocks show
the written statements with their sources by the systems' names, and text the model wrote
that looks like Slack markup (a link, a mention) is shown as plain text."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, block_texts, start_harness
from workflows.library.briefing import briefing_plan
from workflows.planning.claude import NETWORK_SWITCH
from workflows.planning.messages_standin import MessagesStandIn, StandinReply, tool_use

MARKUP = "Send the contract to <mailto:x@evil.example|legal> <!channel>"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesStandIn]:
    monkeypatch.setenv(NETWORK_SWITCH, "1")
    with MessagesStandIn() as server:
        yield server


def written(request: Mapping[str, Any]) -> StandinReply:
    """An answer citing the CRM and support steps, one statement carrying markup."""
    document = json.loads(request["messages"][0]["content"])
    ids = {s["system"]: s["id"] for s in document["steps"] if s["status"] == "ok"}
    statements = [
        {"text": "Acme is in the renewal stage.", "form": "sentence", "steps": [ids["crm"]]},
        {"text": "A P1 ticket is open.", "form": "warning", "steps": [ids["support"]]},
        {"text": MARKUP, "form": "bullet", "steps": [ids["email"], ids["crm"]]},
    ]
    return tool_use("submit_answer", {"headline": "Acme before the call", "statements": statements})


async def test_a_written_briefing_is_posted_with_its_sources(
    tmp_path: Path, standin: MessagesStandIn
) -> None:
    plan = briefing_plan("Acme", account_id="acct-0001")
    standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}), written)
    settings = Settings(
        state_dir=tmp_path / "state",
        scheduler=False,
        anthropic_api_key=standin.api_key,
        anthropic_base_url=standin.url,
        model="claude-sonnet-4-5",
    )
    async with start_harness(settings) as slack:
        ts = "1700000002.000100"
        await slack.send(
            payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, ts=ts)
        )
        [answer] = await slack.wait_for_answers(1)
    blocks = block_texts(answer.args.get("blocks"))
    assert len(standin.bodies) == 2
    assert "Acme before the call" in str(answer.args.get("text"))
    assert "Acme is in the renewal stage. _(CRM)_" in blocks
    assert ":warning: A P1 ticket is open. _(Support desk)_" in blocks
    assert "_(Mailbox · CRM)_" in blocks
    assert "&lt;mailto:x@evil.example|legal&gt; &lt;!channel&gt;" in blocks
    assert "<mailto:" not in blocks and "<!channel>" not in blocks

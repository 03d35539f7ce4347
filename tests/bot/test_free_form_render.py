"""The free-form answer as Slack and a terminal show it: the question, the summary, each
finding with its facts and their sources, what it was drawn from, what is missing; a very
long answer shortened on purpose and accepted by the Slack stand-in, which refuses what Slack
refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import kit, limits
from bot.render.blocks import answer_rendering
from bot.render.free_form import (
    MAX_FACTS,
    MAX_FINDINGS,
    free_form_blocks,
    free_form_fallback,
    free_form_text,
)
from bot.render.text import answer_text
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.slack_client import web_client
from tests.harness import CHANNEL, TOKEN, block_texts
from tests.workflows.free_form_env import DANA, free_form_env
from tests.workflows.test_free_form_plans import QUESTION, overdue_and_p1_plan
from workflows.answers import Finding, FreeFormAnswer, MissingStep, SourcedFact

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


async def real_answer(state: Path, faults: str = "") -> FreeFormAnswer:
    async with free_form_env(state, faults=faults) as env:
        return (await env.ask(overdue_and_p1_plan(DANA), DANA, QUESTION)).free_form


@pytest.fixture
async def standin() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(standin: SlackWebApiStandIn) -> AsyncWebClient:
    return web_client(TOKEN, standin.base_url)


async def test_acme_is_shown_with_each_fact_and_where_it_came_from(tmp_path: Path) -> None:
    answer = await real_answer(tmp_path)
    blocks = kit.fit(free_form_blocks(answer))

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Accounts with an overdue invoice and an open P1"},
    }
    assert blocks[1]["text"]["text"] == "Found 1: Acme Corporation."
    provenance = blocks[2]["elements"][0]["text"]
    assert provenance.startswith("From CRM, Billing, Support desk, Contracts · <!date^")
    assert provenance.endswith(f"run `{answer.run_id}`")
    [acme] = [b for b in blocks if b.get("text", {}).get("text", "").startswith("*Acme")]
    lines = acme["text"]["text"].split("\n")
    assert lines[0] == "*Acme Corporation*"
    assert (
        "• Overdue: INV-000101, $20,000, due Feb 14 (16 days late) _(Billing · step overdue)_"
        in lines
    )
    assert any(
        line.startswith("• P1 org-1042-t1 “API requests timing out in EU region”: open")
        and line.endswith("_(Support desk · step p1s)_")
        for line in lines
    )
    drawn = blocks[-1]["text"]["text"]
    assert drawn.startswith("*Drawn from*\n• ")
    assert "1 ticket (priority P1, status open) _(Support desk · step p1s)_" in drawn
    assert free_form_fallback(answer) == (
        "Accounts with an overdue invoice and an open P1: Found 1: Acme Corporation."
    )
    # The answer renderers Slack and the terminal use show it so.
    shown = answer_rendering(answer)
    assert (shown.text, kit.fit(shown.blocks)) == (free_form_fallback(answer), blocks)
    assert answer_text(answer) == free_form_text(answer)


async def test_a_system_that_is_down_is_named_in_the_message(tmp_path: Path) -> None:
    answer = await real_answer(tmp_path, faults="support=error")
    blocks = kit.fit(free_form_blocks(answer))

    assert blocks[1]["text"]["text"].startswith(
        ":x: I could not answer this: Support desk could not be reached"
    )
    missing = blocks[-1]["elements"][0]["text"]
    assert missing == (
        ":x: *Missing:* Support desk (step p1s, support.list_tickets) could not be reached "
        "(The support desk is not responding (503))"
    )
    text = free_form_text(answer)
    assert "Missing:\n  ! Support desk (step p1s, support.list_tickets) could not be" in text


async def test_the_terminal_shows_every_fact_with_its_source(tmp_path: Path) -> None:
    answer = await real_answer(tmp_path)
    text = free_form_text(answer)

    assert text.startswith(
        "Accounts with an overdue invoice and an open P1\nFound 1: Acme Corporation.\n"
    )
    assert "\nAcme Corporation\n" in text
    assert (
        "  - Overdue: INV-000101, $20,000, due Feb 14 (16 days late)  [Billing, step overdue]"
        in text
    )
    assert "[Support desk, step p1s]" in text
    assert "\nDrawn from:\n" in text


def huge() -> FreeFormAnswer:
    """Two hundred accounts with forty long facts each, and data that looks like markup."""
    fact = SourcedFact(text="*Star* <b>" + "x" * 400, step="mine", source="CRM", record="r")
    findings = tuple(Finding(title=f"*Star* & Co {n}", facts=(fact,) * 40) for n in range(200))
    return FreeFormAnswer(
        run_id="run-1",
        title="Q" * 400,
        generated_at=NOW,
        status="partial",
        summary="Found 200: " + ", ".join(f.title for f in findings),
        findings=findings,
        total=200,
        context=(fact,) * 30,
        missing=(MissingStep(step="p1s", title="t" * 500, source="Support", reason="r" * 500),)
        * 20,
    )


async def test_a_huge_answer_is_shortened_and_slack_accepts_it(
    standin: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    answer = huge()
    blocks = kit.fit(free_form_blocks(answer))

    assert len(blocks) <= limits.MESSAGE_BLOCKS
    assert limits.total_text(blocks) <= limits.MESSAGE_TEXT_TOTAL
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= limits.SECTION_TEXT for b in sections)
    assert len(blocks[0]["text"]["text"]) <= limits.HEADER_TEXT
    findings = [b for b in sections[1:] if "&amp; Co" in b["text"]["text"]]
    assert len(findings) == MAX_FINDINGS
    # Each finding shows what fits its share and says how many facts it left out.
    for block in findings:
        lines = block["text"]["text"].split("\n")
        shown = [line for line in lines if line.startswith("• ")]
        assert 1 <= len(shown) <= MAX_FACTS
        assert lines[-1] == f"_…and {40 - len(shown)} more_"
    texts = block_texts(blocks)
    assert f"…and {200 - MAX_FINDINGS} more not shown here." in texts
    assert "<b>" not in texts and "&lt;b&gt;" in texts  # data is escaped, never markup

    await client.chat_postMessage(channel=CHANNEL, text=free_form_fallback(answer), blocks=blocks)
    assert [c.error for c in standin.calls] == [None]
    [posted] = standin.messages(CHANNEL)
    assert posted.text.startswith("Q")

from __future__ import annotations

from bot.sandbox import payloads
from tests.harness import CHANNEL, DANA, SlackHarness, block_texts


async def test_mention_gets_a_briefing_in_the_thread(slack: SlackHarness) -> None:
    mention = payloads.app_mention(
        "brief me on Acme before my meeting",
        user=DANA,
        channel=CHANNEL,
        ts="1700000001.000100",
        event_id="Ev0SMOKE",
    )
    response = await slack.send(mention)
    assert response.status == 200
    [answer] = await slack.wait_for_answers()
    assert answer.args["thread_ts"] == "1700000001.000100"
    text = block_texts(answer.args["blocks"])
    for source in ("CRM", "Mailbox", "Support desk", "Contracts", "Product usage", "Billing"):
        assert f"from {source}" in text

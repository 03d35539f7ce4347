"""Access control through the whole bot: signed mentions from the Slack stand-in, the real
app, DBOS and the audit on SQLite. A refusal is shown to the asker alone, audited, and posts
nothing in the channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.people import PRINCIPAL_TTL, SlackPeople
from bot.sandbox import payloads
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, TOKEN, SlackHarness, block_texts
from workflows.clock import ManualClock

RACHEL = "U0RACHEL"
REFUSAL = "You don't have access to Blue Harbor Logistics; its owner is Marcus Chen."


def run_id_of(payload: payloads.Payload) -> str:
    return f"slack-{json.loads(payload.body)['event_id']}"


async def test_a_rep_is_refused_another_reps_account_to_her_alone(slack: SlackHarness) -> None:
    ts = "1700000200.000100"
    mention = payloads.app_mention("how is Blue Harbor doing?", user=DANA, channel=CHANNEL, ts=ts)
    await slack.send(mention)
    [shown] = await slack.wait_only_for(DANA)
    detail = await slack.finished(run_id_of(mention))

    assert REFUSAL in f"{shown['text']}\n{block_texts(shown.get('blocks'))}"
    assert shown["thread_ts"] == ts
    # Nothing in the channel, no system asked, the refusal in the audit with its rule.
    assert slack.standin.calls_to("chat.postMessage") == []
    assert slack.answers() == []
    assert detail.steps == []
    [refused] = [e for e in detail.events if e.kind == "access"]
    assert (refused.status, refused.detail["rule"]) == ("refused", "territory")
    assert refused.detail["requester"] == "dana.reyes@northwind.example"


async def test_her_own_account_and_her_managers_view(slack: SlackHarness) -> None:
    slack.standin.add_user(RACHEL, "rachel.kim@northwind.example", "Rachel Kim")
    own = payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL)
    await slack.send(own)
    [acme] = await slack.wait_for_answers()
    await slack.finished(run_id_of(own))
    assert "Briefing: Acme Corporation" in block_texts(acme.args.get("blocks"))

    team = payloads.app_mention("how is Blue Harbor doing?", user=RACHEL, channel=CHANNEL)
    await slack.send(team)
    answers = await slack.wait_for_answers(2)
    await slack.finished(run_id_of(team))
    assert "Briefing: Blue Harbor Logistics" in block_texts(answers[1].args.get("blocks"))
    assert slack.only_for(RACHEL) == []


async def test_a_slack_users_principal_is_asked_for_again_once_it_expires(
    slack: SlackHarness,
) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    people = SlackPeople(
        web_client(TOKEN, slack.standin.base_url), slack.services.directory, clock=clock
    )
    slack.standin.add_user("U0SEAT", "dana.reyes@northwind.example", "Dana Reyes")
    assert (await people.principal("U0SEAT")).roles == ("sales",)
    # The Slack account now belongs to the sales manager (a changed profile email).
    slack.standin.add_user("U0SEAT", "rachel.kim@northwind.example", "Rachel Kim")
    assert (await people.principal("U0SEAT")).email == "dana.reyes@northwind.example"
    clock.advance(PRINCIPAL_TTL + timedelta(seconds=1))
    again = await people.principal("U0SEAT")
    assert again.email == "rachel.kim@northwind.example" and "manager" in again.roles

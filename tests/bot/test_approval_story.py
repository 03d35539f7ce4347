"""The approval story end to end, through the real bot on SQLite and on PostgreSQL.

Dana asks in a channel for the webinar follow-up; the run drafts one email per prospect and
waits for Rachel Kim's approval in her DM; every click is a signed Slack request to the real
app, whose desk wakes the real run (DBOS). Time comes from a ManualClock; what was sent, logged
and undone is read from the demo systems' own tables.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import bot.wiring
from bot.render.approvals import APPROVE_ALL, EDIT, ESCALATE, REJECT, REVIEW
from bot.reporters.approvals import NOTE_EVENT
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from connectors.demo.writes import calendar_holds, tasks
from tests.bot.approval_story import (
    DANA_EMAIL,
    MARCUS,
    RACHEL,
    RACHEL_EMAIL,
    START,
    VICTOR,
    VICTOR_EMAIL,
    Asked,
    Story,
    activities_logged_by,
    buttons,
    buttons_in,
    date_token,
    of_kind,
    sent_by,
    start_story,
    typed,
    webinar_prospects,
    workspace,
)
from tests.harness import CHANNEL, DANA
from tests.state import seeded, seeded_postgres
from workflows.approvals import Approval, approval_id
from workflows.audit import RunDetail
from workflows.catalog import Catalog
from workflows.clock import ManualClock
from workflows.models import Objective, Principal
from workflows.plan import Plan, Step
from workflows.planning import OfflinePlanner
from workflows.planning.protocol import PlanningResult
from workflows.ports import CustomerFinder

TTL = timedelta(hours=24)
LATER = timedelta(seconds=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """The bot's settings, its audit (and DBOS) on a fresh database of either kind."""
    state = tmp_path / "state"
    if request.param == "sqlite":
        yield Settings(state_dir=seeded(state, START), scheduler=False, step_timeout_s=2.0)
        return
    async with seeded_postgres(state, START) as url:
        yield Settings(state_dir=state, scheduler=False, step_timeout_s=2.0, database_url=url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def story(settings: Settings, clock: ManualClock) -> AsyncIterator[Story]:
    async with start_story(settings, clock) as started:
        yield started


async def the_approval(story: Story, asked: Asked) -> Approval:
    found = await story.slack.services.desk.store.get(approval_id(asked.run_id, "send"))
    assert found is not None
    return found


async def finished(story: Story, asked: Asked) -> RunDetail:
    return await story.slack.finished(asked.run_id, timeout=30.0)


def shown(post: PostedMessage) -> str:
    """A message's section and context texts as a person reads them (mrkdwn escapes undone)."""
    texts: list[str] = []
    for block in post.blocks or []:
        if block.get("type") == "section":
            texts.append(str(block["text"]["text"]))
        elif block.get("type") == "context":
            texts.extend(str(e.get("text") or "") for e in block.get("elements") or [])
    return html.unescape("\n".join(texts))


def notes_about(story: Story, asked: Asked) -> list[str]:
    """The approval notes in Dana's thread, oldest first."""
    return [
        m.text
        for m in story.notes(asked.thread_ts)
        if m.metadata is not None and m.metadata.get("event_type") == NOTE_EVENT
    ]


def answer_of(detail: RunDetail) -> dict[str, Any]:
    [answer] = of_kind(detail.events, "answer")
    return answer


async def nothing_sent(story: Story, asked: Asked) -> None:
    assert await sent_by(story.world, asked.run_id) == []
    assert await activities_logged_by(story.world, asked.run_id) == []


# ---------------------------------------------------------------- asked, and approved


async def test_the_request_posts_one_approval_listing_exactly_the_prospects(
    story: Story,
) -> None:
    asked = await story.ask("Ev0ASKED")

    [post] = story.approval_posts(asked.run_id)
    [opened] = story.standin.calls_to("conversations.open")
    assert opened.args["users"] == RACHEL and post.channel.startswith("D")
    approval = await the_approval(story, asked)
    prospects = await webinar_prospects(story.world, DANA_EMAIL)
    assert len(prospects) >= 8
    assert {str(i.args["to"]).lower() for i in approval.items} == set(prospects)
    assert len(approval.items) == len(prospects)
    text = shown(post)
    for item in approval.items:
        assert prospects[str(item.args["to"]).lower()] in text
        assert str(item.args["subject"]) in text
        for line in str(item.args["body"]).splitlines():
            assert f">{line}" in text
    assert [b["text"]["text"] for b in buttons(post)][:1] == ["Approve all"]

    count = len(approval.items)
    assert approval.title == f"Approve {count} follow-up emails for Dana Reyes"
    [note] = notes_about(story, asked)
    assert note.startswith(
        f":hourglass_flowing_sand: Prepared {count} follow-up emails for Dana Reyes; "
        "waiting for Rachel Kim's approval until "
    )
    assert approval.expires_at == START + TTL
    assert date_token(approval.expires_at) in note
    assert await sent_by(story.world, asked.run_id) == []


async def test_approve_all_sends_each_email_once_and_logs_it(story: Story) -> None:
    asked = await story.ask("Ev0APPROVE")
    [post] = story.approval_posts(asked.run_id)
    story.clock.advance(timedelta(minutes=7))

    response = await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
    assert response.status == 200
    detail = await finished(story, asked)

    approval = await the_approval(story, asked)
    prospects = await webinar_prospects(story.world, DANA_EMAIL)
    sent = await sent_by(story.world, asked.run_id)
    assert sorted(str(m["to"]).lower() for m in sent) == sorted(prospects)
    keys = [m["idempotency_key"] for m in sent]
    assert sorted(keys) == sorted(f"{asked.run_id}:send:{i.index}" for i in approval.items)
    assert {m["run_id"] for m in sent} == {asked.run_id}
    logged = await activities_logged_by(story.world, asked.run_id)
    assert sorted(str(a["contact_email"]).lower() for a in logged) == sorted(prospects)
    assert {a["kind"] for a in logged} == {"email"}

    for copy in story.approval_posts(asked.run_id):
        assert buttons(copy) == []
        assert "Approved by Rachel Kim" in shown(copy)
    assert answer_of(detail)["title"] == "Follow-ups sent"
    thread = [m.text for m in story.notes(asked.thread_ts)]
    assert any(t.startswith("Follow-ups sent") for t in thread)
    assert notes_about(story, asked)[-1].startswith(":white_check_mark: Rachel Kim approved")

    [policy] = [p for p in of_kind(detail.events, "policy") if p["step_id"] == "send"]
    assert (policy["rule"], policy["required"]) == ("customer-email", True)
    assert policy["approvers"] == [RACHEL_EMAIL]
    [decided] = [a for a in of_kind(detail.events, "approval") if a["outcome"] == "approved"]
    assert (decided["by"], decided["by_name"]) == (RACHEL_EMAIL, "Rachel Kim")
    assert decided["at"] == (START + timedelta(minutes=7)).isoformat()
    sends = [a for a in of_kind(detail.events, "action") if a["step_id"] == "send"]
    assert sorted(a["idempotency_key"] for a in sends) == sorted(keys)
    assert {a["outcome"] for a in sends} == {"done"}


# ---------------------------------------------------------------- rejected, edited


async def test_a_rejection_with_a_reason_sends_nothing_and_says_why(story: Story) -> None:
    asked = await story.ask("Ev0REJECT")
    [post] = story.approval_posts(asked.run_id)

    modal = await story.opened_form(post, REJECT, RACHEL)
    values = typed(modal, {"reason": "Wait until the new pricing is out."})
    await story.slack.send(payloads.view_submission(modal, values, user_id=RACHEL))
    detail = await finished(story, asked)

    await nothing_sent(story, asked)
    [rejected] = [a for a in of_kind(detail.events, "approval") if a["outcome"] == "rejected"]
    assert (rejected["by"], rejected["reason"]) == (
        RACHEL_EMAIL,
        "Wait until the new pricing is out.",
    )
    assert of_kind(detail.events, "action") == []
    note = notes_about(story, asked)[-1]
    assert "Rachel Kim rejected" in note and "Wait until the new pricing is out." in note
    answer = answer_of(detail)
    assert answer["title"] == "Nothing was done"
    assert "Rejected by Rachel Kim: Wait until the new pricing is out." in answer["text"]
    [copy] = story.approval_posts(asked.run_id)
    assert buttons(copy) == [] and "Rejected by Rachel Kim" in shown(copy)


async def test_an_edited_draft_is_what_is_sent(story: Story) -> None:
    asked = await story.ask("Ev0EDIT")
    [post] = story.approval_posts(asked.run_id)
    approval = await the_approval(story, asked)

    modal = await story.opened_form(post, EDIT, RACHEL)
    edited = "Hi,\n\nShorter, as Rachel wants it: a demo next week?\n\nDana"
    values = typed(modal, {"edit-1-body": edited})
    await story.slack.send(payloads.view_submission(modal, values, user_id=RACHEL))
    await finished(story, asked)

    sent = {m["to"]: m for m in await sent_by(story.world, asked.run_id)}
    assert len(sent) == len(approval.items)
    for item in approval.items:
        message = sent[item.args["to"]]
        wanted = edited if item.index == 1 else item.args["body"]
        assert (message["body"], message["subject"]) == (wanted, item.args["subject"])
    [copy] = story.approval_posts(asked.run_id)
    settled = shown(copy)
    assert "Approved (edited) by Rachel Kim" in settled
    assert ">Shorter, as Rachel wants it: a demo next week?" in settled  # what was sent
    assert settled.count("_Edited:_") == 1
    assert str(approval.items[1].args["body"]).splitlines()[2] not in settled


async def test_items_skipped_in_review_are_not_sent_and_the_rest_keep_their_keys(
    story: Story,
) -> None:
    asked = await story.ask("Ev0REVIEW")
    [post] = story.approval_posts(asked.run_id)
    approval = await the_approval(story, asked)

    modal = await story.opened_form(post, REVIEW, RACHEL)
    skipped = {0, 2}
    values = {
        f"item-{i.index}": {
            "choice": {
                "type": "radio_buttons",
                "selected_option": {"value": "skip" if i.index in skipped else "approve"},
            }
        }
        for i in approval.items
    }
    await story.slack.send(payloads.view_submission(modal, values, user_id=RACHEL))
    await finished(story, asked)

    sent = await sent_by(story.world, asked.run_id)
    kept = [i for i in approval.items if i.index not in skipped]
    assert sorted(m["to"] for m in sent) == sorted(i.args["to"] for i in kept)
    keys = {f"{asked.run_id}:send:{i.index}" for i in kept}
    assert {m["idempotency_key"] for m in sent} == keys
    logged = await activities_logged_by(story.world, asked.run_id)
    assert len(logged) == len(kept)
    [copy] = story.approval_posts(asked.run_id)
    settled = shown(copy)
    count = len(approval.items)
    assert f"Approved {len(kept)} of {count} by Rachel Kim" in settled
    for item in approval.items:
        marked = f"_Skipped:_ *{item.summary}*" in settled
        assert marked == (item.index in skipped)


# ---------------------------------------------------------------- who may decide


async def test_the_requester_and_another_rep_are_refused_then_rachel_approves(
    story: Story,
) -> None:
    asked = await story.ask("Ev0REFUSED")
    [post] = story.approval_posts(asked.run_id)

    await story.slack.send(story.click(post, APPROVE_ALL, DANA))
    await story.slack.send(story.click(post, APPROVE_ALL, MARCUS))
    await story.standin.wait_for(lambda _: bool(story.told(DANA)) and bool(story.told(MARCUS)))

    assert story.told(DANA) == ["You asked for this, so someone else must approve it."]
    assert story.told(MARCUS) == ["Only Rachel Kim can approve this."]
    assert story.told(RACHEL) == [] and story.told(VICTOR) == []
    assert all(e["via"] == "response_url" for e in story.standin.ephemerals())
    approval = await the_approval(story, asked)
    assert approval.open
    await nothing_sent(story, asked)
    detail = await story.slack.services.audit.get_run(asked.run_id)
    assert detail is not None
    # The two clicks are handled at once: either may be audited first.
    refused = {
        a["by"]: a["why"] for a in of_kind(detail.events, "approval") if a["outcome"] == "refused"
    }
    assert sorted(refused) == [DANA_EMAIL, "marcus.chen@northwind.example"]
    assert refused["marcus.chen@northwind.example"] == "Only Rachel Kim can approve this."
    assert buttons(story.approval_posts(asked.run_id)[0])  # still there to be pressed

    await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
    await finished(story, asked)
    assert len(await sent_by(story.world, asked.run_id)) == len(approval.items)


async def test_with_an_approvals_channel_the_approval_is_posted_and_decided_there(
    settings: Settings, clock: ManualClock
) -> None:
    in_channel = settings.model_copy(update={"approvals_channel": "C0APPROVALS"})
    async with start_story(in_channel, clock) as story:
        asked = await story.ask("Ev0CHANNEL")
        [post] = story.approval_posts(asked.run_id)
        assert post.channel == "C0APPROVALS"
        assert story.standin.calls_to("conversations.open") == []

        await story.slack.send(story.click(post, APPROVE_ALL, DANA))
        await story.standin.wait_for(lambda _: bool(story.told(DANA)))
        assert story.told(DANA) == ["You asked for this, so someone else must approve it."]
        await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
        await finished(story, asked)

        approval = await the_approval(story, asked)
        assert len(await sent_by(story.world, asked.run_id)) == len(approval.items)
        [copy] = story.approval_posts(asked.run_id)
        assert buttons(copy) == [] and "Approved by Rachel Kim" in shown(copy)


async def test_rachel_approves_from_her_list_of_what_waits(story: Story) -> None:
    asked = await story.ask("Ev0LISTED")
    approval = await the_approval(story, asked)

    await story.slack.send(story.slack.command("approvals", user=RACHEL))
    [listing] = await story.slack.wait_only_for(RACHEL)
    assert listing["text"] == "1 waiting for you; 0 you asked for."
    [approve] = [b for b in buttons_in(listing["blocks"]) if b["action_id"] == APPROVE_ALL]
    assert approve["value"] == approval.id
    click = payloads.block_action(
        APPROVE_ALL,
        approval.id,
        user_id=RACHEL,
        channel_id=CHANNEL,
        message_ts="",
        ephemeral=True,
        response_url=story.standin.response_url(CHANNEL, RACHEL),
    )
    await story.slack.send(click)
    await finished(story, asked)

    assert len(await sent_by(story.world, asked.run_id)) == len(approval.items)
    [copy] = story.approval_posts(asked.run_id)
    assert buttons(copy) == [] and "Approved by Rachel Kim" in shown(copy)
    await story.slack.send(story.slack.command("approvals", user=RACHEL))
    await story.slack.wait_only_for(RACHEL, 2)
    assert story.told(RACHEL)[-1] == "0 waiting for you; 0 you asked for."


# ---------------------------------------------------------------- clicks at once


async def test_two_clicks_at_once_by_rachel_make_one_decision(story: Story) -> None:
    asked = await story.ask("Ev0TWICE")
    [post] = story.approval_posts(asked.run_id)

    clicks = [story.click(post, APPROVE_ALL, RACHEL) for _ in range(2)]
    await asyncio.gather(*(story.slack.send(c) for c in clicks))
    detail = await finished(story, asked)

    approval = await the_approval(story, asked)
    assert len(await sent_by(story.world, asked.run_id)) == len(approval.items)
    outcomes = [a["outcome"] for a in of_kind(detail.events, "approval")]
    assert outcomes.count("approved") == 1 and outcomes.count("already_decided") == 1
    await story.standin.wait_for(lambda _: len(story.told(RACHEL)) == 1)
    assert story.told(RACHEL)[0].startswith("Already approved by Rachel Kim")


async def test_rachel_and_victor_at_once_after_escalation_make_one_decision(
    story: Story,
) -> None:
    asked = await story.ask("Ev0BOTH")
    story.clock.advance(TTL + LATER)
    await story.slack.services.desk.sweep()  # as the wiring's sweeper does every 5 s
    await story.standin.wait_for(lambda _: len(story.approval_posts(asked.run_id)) == 2)
    rachels, victors = story.approval_posts(asked.run_id)

    clicks = [story.click(rachels, APPROVE_ALL, RACHEL), story.click(victors, APPROVE_ALL, VICTOR)]
    await asyncio.gather(*(story.slack.send(c) for c in clicks))
    detail = await finished(story, asked)

    approval = await the_approval(story, asked)
    assert approval.decided_by in (RACHEL_EMAIL, VICTOR_EMAIL)
    assert len(await sent_by(story.world, asked.run_id)) == len(approval.items)
    outcomes = [a["outcome"] for a in of_kind(detail.events, "approval")]
    assert outcomes.count("approved") == 1 and outcomes.count("already_decided") == 1
    await story.standin.wait_for(lambda _: len(story.told(RACHEL) + story.told(VICTOR)) == 1)
    [told] = story.told(RACHEL) + story.told(VICTOR)
    assert told.startswith(f"Already approved by {approval.decided_by_name}")
    for copy in story.approval_posts(asked.run_id):
        assert buttons(copy) == []


async def test_rachel_escalates_and_victor_approves(story: Story) -> None:
    asked = await story.ask("Ev0ESCALATE")
    [post] = story.approval_posts(asked.run_id)

    await story.slack.send(story.click(post, ESCALATE, RACHEL))
    await story.standin.wait_for(lambda _: len(story.approval_posts(asked.run_id)) == 2)
    [told] = story.told(RACHEL)
    assert told.startswith("Asked Victor Alvarez too, until ")
    await story.waiting(asked.run_id)  # noted in Dana's thread, and waiting again
    _, victors = story.approval_posts(asked.run_id)
    await story.slack.send(story.click(victors, APPROVE_ALL, VICTOR))
    detail = await finished(story, asked)

    approval = await the_approval(story, asked)
    assert (approval.status, approval.decided_by, approval.level) == ("approved", VICTOR_EMAIL, 1)
    assert len(await sent_by(story.world, asked.run_id)) == len(approval.items)
    assert "approved by Victor Alvarez" in answer_of(detail)["text"]
    outcomes = [(a["outcome"], a.get("by")) for a in of_kind(detail.events, "approval")]
    assert outcomes == [
        ("requested", DANA_EMAIL),
        ("escalated", RACHEL_EMAIL),
        ("approved", VICTOR_EMAIL),
    ]
    for copy in story.approval_posts(asked.run_id):
        assert buttons(copy) == [] and "Approved by Victor Alvarez" in shown(copy)


async def test_two_requests_wait_side_by_side_and_are_decided_apart(story: Story) -> None:
    first = await story.ask("Ev0FIRST")
    second = await story.ask("Ev0SECOND")
    [one], [two] = story.approval_posts(first.run_id), story.approval_posts(second.run_id)
    assert one.ts != two.ts

    await story.slack.send(story.click(two, APPROVE_ALL, RACHEL))
    await finished(story, second)
    waiting = await the_approval(story, first)
    assert waiting.open and await sent_by(story.world, first.run_id) == []
    assert buttons(story.approval_posts(first.run_id)[0])

    modal = await story.opened_form(one, REJECT, RACHEL)
    await story.slack.send(payloads.view_submission(modal, typed(modal), user_id=RACHEL))
    await finished(story, first)
    assert await sent_by(story.world, first.run_id) == []
    assert len(await sent_by(story.world, second.run_id)) == len(waiting.items)


async def test_a_form_opened_on_a_decided_approval_says_who_decided(story: Story) -> None:
    asked = await story.ask("Ev0LATEFORM")
    [post] = story.approval_posts(asked.run_id)
    await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
    await finished(story, asked)

    await story.slack.send(story.click(post, EDIT, RACHEL))
    await story.standin.wait_for(lambda _: bool(story.told(RACHEL)))
    assert story.told(RACHEL)[0].startswith("Already approved by Rachel Kim at 14:00 UTC")
    assert story.standin.views() == []


# ---------------------------------------------------------------- time running out


async def test_no_answer_escalates_to_victor_then_expires(story: Story) -> None:
    asked = await story.ask("Ev0EXPIRE")
    desk = story.slack.services.desk

    story.clock.advance(TTL + LATER)
    await desk.sweep()  # as the wiring's sweeper does every 5 s
    await story.standin.wait_for(lambda _: len(story.approval_posts(asked.run_id)) == 2)
    await story.standin.wait_for(lambda _: len(notes_about(story, asked)) == 2)
    _, victors = story.approval_posts(asked.run_id)
    opened = [c.args["users"] for c in story.standin.calls_to("conversations.open")]
    assert opened == [RACHEL, VICTOR]
    assert victors.channel != story.approval_posts(asked.run_id)[0].channel
    assert buttons(victors)
    escalated = await the_approval(story, asked)
    assert escalated.expires_at == START + TTL + LATER + TTL
    note = notes_about(story, asked)[-1]
    assert note.startswith(":arrow_up: No answer from Rachel Kim; asked Victor Alvarez too")
    assert date_token(escalated.expires_at) in note

    story.clock.advance(TTL + LATER)
    await desk.sweep()
    detail = await finished(story, asked)

    await nothing_sent(story, asked)
    outcomes = [a["outcome"] for a in of_kind(detail.events, "approval")]
    assert outcomes == ["requested", "escalated", "expired"]
    assert (await the_approval(story, asked)).status == "expired"
    assert "in time; nothing was sent" in notes_about(story, asked)[-1]
    answer = answer_of(detail)
    assert answer["title"] == "Nothing was done"
    assert "The approval expired, so nothing was done." in answer["text"]
    assert any(m.text.startswith("Nothing was done") for m in story.notes(asked.thread_ts))
    for copy in story.approval_posts(asked.run_id):
        assert buttons(copy) == [] and "Expired" in shown(copy)

    await story.slack.send(story.click(victors, APPROVE_ALL, VICTOR))
    await story.standin.wait_for(lambda _: bool(story.told(VICTOR)))
    assert story.told(VICTOR)[0].startswith("This approval expired at")
    await nothing_sent(story, asked)


async def test_the_wirings_own_sweeper_escalates_on_the_bots_clock(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False, step_timeout_s=2.0)
    async with start_story(settings, ManualClock(START)) as story:
        asked = await story.ask("Ev0SWEEPER")
        story.clock.advance(TTL + LATER)  # nobody calls the desk: serving sweeps every 5 s

        await story.standin.wait_for(
            lambda _: len(story.approval_posts(asked.run_id)) == 2, bot.wiring.SWEEP_INTERVAL_S + 5
        )
        approval = await the_approval(story, asked)
        assert (approval.level, approval.approvers) == (1, (RACHEL_EMAIL, VICTOR_EMAIL))


# ---------------------------------------------------------------- a write that fails


async def test_a_crm_down_after_the_emails_went_out_says_they_cannot_be_undone(
    settings: Settings, clock: ManualClock
) -> None:
    async with workspace() as standin:
        async with start_story(settings, clock, standin) as story:
            asked = await story.ask("Ev0CRMDOWN")
            [post] = story.approval_posts(asked.run_id)
        # The bot is redeployed while the run waits; the CRM is down when it comes back.
        faulty = settings.model_copy(update={"demo_faults": "crm=error", "step_attempts": 1})
        async with start_story(faulty, clock, standin) as again:
            await again.slack.send(again.click(post, APPROVE_ALL, RACHEL))
            detail = await finished(again, asked)

            approval = await the_approval(again, asked)
            sent = await sent_by(again.world, asked.run_id)
            assert len(sent) == len(approval.items)
            assert await activities_logged_by(again.world, asked.run_id) == []
            answer = answer_of(detail)
            assert answer["title"] == "Stopped: a write failed"
            count = len(approval.items)
            assert f"• Follow-up emails ({count}): cannot be undone" in answer["text"]
            undone = of_kind(detail.events, "compensation")
            assert [(c["of"], c["outcome"]) for c in undone] == [
                ("email.send", "not_reversible")
            ] * len(sent)
            indexes = sorted((i.index for i in approval.items), reverse=True)
            assert [c["item"] for c in undone] == indexes
            thread = [m.text for m in again.notes(asked.thread_ts)]
            assert any("cannot be undone" in t for t in thread)
            assert len(again.approval_posts(asked.run_id)) == 1  # not posted again on restart
            assert [n[:23] for n in notes_about(again, asked)] == [
                ":hourglass_flowing_sand",
                ":white_check_mark: Rach",
            ]


class TaskThenHold:
    """The offline planner, with one objective planned as three writes: a task, a calendar
    hold, then a CRM activity (the last fails while the CRM is down)."""

    name = "offline"
    objective = "set up the Tamarack follow-up"

    def __init__(self, finder: CustomerFinder) -> None:
        self.finder = finder
        self.offline = OfflinePlanner(finder)

    async def plan(
        self, objective: Objective, catalog: Catalog, requester: Principal | None = None
    ) -> PlanningResult:
        if objective.text != self.objective:
            return await self.offline.plan(objective, catalog, requester)
        [tamarack] = self.finder.find_in(objective.text)
        starts = (objective.received_at + timedelta(days=2)).replace(hour=15, minute=0)
        steps = (
            Step(
                id="task",
                operation="tasks.create",
                args={"assignee_email": DANA_EMAIL, "title": "Send Tamarack the SOC 2 report"},
            ),
            Step(
                id="hold",
                operation="calendar.create_hold",
                args={
                    "owner_email": DANA_EMAIL,
                    "title": {"$ref": "task.title"},
                    "starts_at": starts.isoformat(),
                },
            ),
            Step(
                id="log",
                operation="crm.log_activity",
                args={
                    "account_id": tamarack.account.links["crm"],
                    "contact_email": "elena.vasquez@tamarack.io",
                    "kind": "note",
                    "summary": {"$ref": "hold.title"},
                },
            ),
        )
        return Plan(workflow="follow_up", subject="Tamarack", summary="", steps=steps)


async def test_reversible_writes_are_undone_newest_first_when_a_later_one_fails(
    settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def planner(_: Settings, finder: CustomerFinder, model: object) -> TaskThenHold:
        return TaskThenHold(finder)

    monkeypatch.setattr(bot.wiring, "select_planner", planner)
    faulty = settings.model_copy(update={"demo_faults": "crm=error", "step_attempts": 1})
    async with start_story(faulty, clock) as story:
        mention = payloads.app_mention(
            TaskThenHold.objective, user=DANA, channel="C0SALES", event_id="Ev0UNDO"
        )
        await story.slack.send(mention)
        detail = await story.slack.finished("slack-Ev0UNDO", timeout=30.0)

        undone = of_kind(detail.events, "compensation")
        assert [(c["step_id"], c["undo"], c["outcome"]) for c in undone] == [
            ("hold", "calendar.release_hold", "undone"),
            ("task", "tasks.cancel", "undone"),
        ]
        async with story.world.read() as snapshot:
            [task] = (await snapshot.conn.execute(select(tasks))).mappings().all()
            [hold] = (await snapshot.conn.execute(select(calendar_holds))).mappings().all()
        assert task["run_id"] == hold["run_id"] == "slack-Ev0UNDO"
        assert task["cancelled_at"] is not None and hold["released_at"] is not None
        assert hold["released_at"] <= task["cancelled_at"]
        answer = answer_of(detail)
        assert "tasks.create: undone" in answer["text"]
        assert "calendar.create_hold: undone" in answer["text"]

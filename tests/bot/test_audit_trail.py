"""What the audit record holds after a run asked for in Slack."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, STRANGER, SlackHarness
from tests.workflows.engine_env import engine_env
from tests.workflows.systems import INTERRUPTIBLE_PLAN, PATIENT, System
from workflows.answers import Notice
from workflows.audit.tables import events
from workflows.library import ComposeInput

SYSTEMS = {"directory", "crm", "email", "support", "contracts", "usage", "billing"}


async def test_a_briefing_run_is_audited_from_trigger_to_answer(slack: SlackHarness) -> None:
    await slack.send(
        payloads.app_mention(
            "brief me on Acme before my 2pm", user=DANA, channel=CHANNEL, event_id="Ev0AUDIT"
        )
    )
    await slack.wait_for_answers()
    detail = await slack.finished("slack-Ev0AUDIT")
    audit = slack.services.audit

    kinds = [e.kind for e in detail.events]
    assert kinds[:2] == ["trigger", "plan"]
    assert kinds[-1] == "answer"
    assert kinds.count("step") == 7
    assert set(kinds) == {"trigger", "plan", "step", "delivery", "answer"}

    [trigger] = [e for e in detail.events if e.kind == "trigger"]
    assert trigger.detail["trigger"] == "slack_mention"
    assert trigger.detail["trigger_id"] == "Ev0AUDIT"
    assert trigger.detail["requester"] == "dana.reyes@northwind.example"
    assert trigger.detail["channel"] == CHANNEL
    assert "brief me on Acme before my 2pm" in trigger.detail["objective"]

    [plan] = [e for e in detail.events if e.kind == "plan"]
    steps = plan.detail["plan"]["steps"]
    assert len(steps) == 7
    assert plan.detail["plan"]["workflow"] == "briefing"
    assert {s["id"] for s in steps} == {e.step_id for e in detail.steps}

    for step in detail.steps:
        assert step.system in SYSTEMS
        assert step.operation and step.operation.startswith(f"{step.system}.")
        assert step.status == "ok"
        assert step.duration_ms is not None and step.duration_ms >= 0
        assert step.detail["attempts"] == 1
    assert {e.system for e in detail.steps} == SYSTEMS

    [answer] = [e for e in detail.events if e.kind == "answer"]
    assert answer.status == "completed"
    assert answer.detail["kind"] == "briefing"
    assert answer.detail["account"]["name"] == "Acme Corporation"
    assert all(trigger.at <= s.at <= answer.at for s in detail.steps)

    assert detail.channel == CHANNEL
    assert detail.requester_slack_id == DANA
    assert detail.planner == "offline"
    [summary] = await audit.list_runs()
    assert summary.run_id == "slack-Ev0AUDIT"
    assert summary.requester_email == "dana.reyes@northwind.example"
    assert (summary.trigger, summary.workflow) == ("slack_mention", "briefing")
    assert summary.subject is not None and summary.subject.startswith("Acme")
    assert (summary.status, summary.answer_kind) == ("completed", "briefing")
    assert summary.finished_at is not None and summary.finished_at >= summary.created_at


async def test_a_notice_run_is_audited_without_steps(slack: SlackHarness) -> None:
    await slack.send(
        payloads.app_mention("order me a pizza", user=DANA, channel=CHANNEL, event_id="Ev0PIZZA")
    )
    detail = await slack.finished("slack-Ev0PIZZA")

    assert [e.kind for e in detail.events] == ["trigger", "plan", "delivery", "answer"]
    assert detail.events[1].detail["notice"]["reason"] == "help"
    assert (detail.run.status, detail.run.answer_kind, detail.run.workflow) == (
        "completed",
        "notice",
        None,
    )


async def _raw_events(slack: SlackHarness, run_id: str) -> list[dict[str, object]]:
    query = select(events).where(events.c.run_id == run_id).order_by(events.c.id)
    async with slack.services.audit.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(query)).mappings()]


async def test_a_refused_requester_is_audited_as_a_refused_run(slack: SlackHarness) -> None:
    await slack.send(
        payloads.app_mention("brief me on Acme", user=STRANGER, channel=CHANNEL, event_id="Ev0WHO")
    )
    await slack.finished("slack-Ev0WHO")

    raw = await _raw_events(slack, "slack-Ev0WHO")
    assert [e["kind"] for e in raw] == ["trigger", "decision", "answer"]
    detail = raw[1]["detail"]
    assert isinstance(detail, dict)
    assert detail["decision"] == "refused"
    assert "someone@elsewhere.example" in detail["reason"]
    run = await slack.services.audit.get_run("slack-Ev0WHO")
    assert run is not None
    assert (run.run.status, run.requester_slack_id) == ("refused", STRANGER)
    assert [r.run_id for r in await slack.services.audit.list_runs()] == ["slack-Ev0WHO"]


async def test_an_answer_slack_refused_is_audited_as_not_delivered_with_its_steps(
    slack: SlackHarness, settings: Settings
) -> None:
    for method in ("chat.postMessage", "chat.postEphemeral"):
        slack.standin.fail_next(method, "channel_not_found", times=20)
    await slack.send(
        payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0LOST")
    )
    detail = await slack.finished("slack-Ev0LOST", timeout=30)

    assert detail.run.status == "failed"
    assert {e.system for e in detail.steps} == SYSTEMS  # the steps it ran, though it failed
    assert all(s.status == "ok" for s in detail.steps)
    assert detail.delivery is not None
    assert (detail.delivery.status, detail.delivery.detail["error"]) == (
        "not_delivered",
        "channel_not_found",
    )
    [answer] = [e for e in detail.events if e.kind == "answer"]
    assert answer.detail["kind"] == "briefing"  # what it would have said, kept for the record

    shown = _audit_cli(settings, "show", "slack-Ev0LOST")
    assert "answer not delivered: channel_not_found" in shown
    assert shown.count(" step ") == 7


async def test_a_delivered_answer_is_audited_as_delivered(slack: SlackHarness) -> None:
    await slack.send(
        payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0GOT")
    )
    detail = await slack.finished("slack-Ev0GOT")
    assert detail.delivery is not None and detail.delivery.status == "delivered"


def _audit_cli(settings: Settings, *args: str) -> str:
    """``crosswire audit …`` run as a user would, on the test's audit database."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROSSWIRE_"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, "CROSSWIRE_STATE_DIR": str(settings.state_dir)},
        check=True,
    )
    return done.stdout


async def test_a_run_that_breaks_after_a_restart_records_every_step_once(tmp_path: Path) -> None:
    first, stuck = System("first"), System("stuck", mode="hang")
    async with engine_env(tmp_path, first, stuck, policy=PATIENT) as env:
        env.planner._script["go"] = INTERRUPTIBLE_PLAN
        request = env.request("go", run_id="breaks-late")
        await env.engine.submit(request)
        await asyncio.wait_for(stuck.called.wait(), 5)
        # the process "dies" here, step a checkpointed, step b in flight
    interrupted = asyncio.all_tasks() - {asyncio.current_task()}
    stuck.mode = "ok"
    async with engine_env(tmp_path, first, stuck, policy=PATIENT) as env:
        env.planner._script["go"] = INTERRUPTIBLE_PLAN
        composers = env.engine.composers
        assert isinstance(composers, dict)
        composers["test"] = _broken_composer  # the run now breaks after its steps
        answer = await env.engine.result(request)
        detail = await env.audit.get_run("breaks-late")
    for task in asyncio.all_tasks() & interrupted:
        task.cancel()
    assert isinstance(answer, Notice) and answer.reason == "failed"
    assert detail is not None and detail.run.status == "failed"
    # step a ran before the restart (its result replayed from the checkpoint), b after it
    assert sorted(e.step_id or "" for e in detail.steps) == ["a", "b"]
    assert len(first.calls) == 1
    [error] = [e for e in detail.events if e.kind == "error"]
    assert "composer bug" in error.detail["error"]


def _broken_composer(data: ComposeInput) -> Notice:
    raise RuntimeError("composer bug")

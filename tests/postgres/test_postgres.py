"""The same paths on PostgreSQL: the audit store, and a whole Slack briefing run (DBOS's
system tables and the audit in one database)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, block_texts, start_harness
from workflows.audit import AuditStore
from workflows.models import Objective, Principal, ReplyTarget, RunRequest
from workflows.results import StepResult


async def test_the_audit_store_records_once_per_key(postgres_url: str) -> None:
    store = await AuditStore.open(postgres_url)
    try:
        request = RunRequest(
            run_id="pg-run",
            principal=Principal(email="dana.reyes@northwind.example", name="D"),
            objective=Objective(
                text="brief me on Acme",
                trigger="cli",
                trigger_id="pg-run",
                reply=ReplyTarget(kind="cli"),
                received_at=datetime.now(UTC),
            ),
        )
        result = StepResult(
            step_id="crm",
            operation="crm.get_account",
            system="crm",
            status="ok",
            started_at=datetime.now(UTC),
            duration_ms=3.5,
        )
        for _ in range(2):  # a record replayed after a crash records once
            await store.run_started(request, planner="offline")
            await store.run_finished(
                "pg-run", status="completed", answer={"kind": "notice"}, steps=[result]
            )
        detail = await store.get_run("pg-run")
        listed = await store.list_runs()
    finally:
        await store.close()
    assert detail is not None and detail.run.status == "completed"
    assert [e.kind for e in detail.events] == ["trigger", "step", "answer"]
    assert detail.steps[0].duration_ms == 3.5
    assert [r.run_id for r in listed] == ["pg-run"]


async def test_a_slack_briefing_runs_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False, database_url=postgres_url)
    async with start_harness(settings) as slack:
        mention = payloads.app_mention(
            "brief me on Acme", user=DANA, channel=CHANNEL, event_id="Ev0POSTGRES"
        )
        assert (await slack.send(mention)).status == 200
        [answer] = await slack.wait_for_answers()
        assert (await slack.send(mention, retry_num=1)).status == 200
        detail = await slack.finished("slack-Ev0POSTGRES")
    assert "Acme Corporation" in block_texts(answer.args["blocks"])
    assert detail is not None
    assert len(detail.steps) == 7
    assert not (tmp_path / "state" / "dbos.sqlite").exists()

"""Text that PostgreSQL refuses (U+0000) or UTF-8 cannot encode (lone surrogates) never costs
a run its audit record, on PostgreSQL and on SQLite alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.sandbox import payloads
from bot.settings import Settings
from tests.harness import CHANNEL, DANA, start_harness
from workflows.audit import AuditStore
from workflows.models import Objective, Principal, ReplyTarget, RunRequest
from workflows.results import StepResult

TYPED = "brief me on\x00 Acme \ud83d"
STORED = "brief me on Acme \ufffd"


def request_for(run_id: str, text: str) -> RunRequest:
    return RunRequest(
        run_id=run_id,
        principal=Principal(email="dana.reyes@northwind.example", name="Dana\x00 Reyes"),
        objective=Objective(
            text=text,
            trigger="cli",
            trigger_id=run_id,
            reply=ReplyTarget(kind="cli"),
            received_at=datetime.now(UTC),
        ),
    )


async def test_every_string_the_store_writes_is_made_storable_on_postgres(
    postgres_url: str,
) -> None:
    await write_and_read_back(postgres_url)


async def test_every_string_the_store_writes_is_made_storable_on_sqlite(tmp_path: Path) -> None:
    await write_and_read_back(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")


async def write_and_read_back(database_url: str) -> None:
    store = await AuditStore.open(database_url)
    try:
        request = request_for("text-run", TYPED)
        await store.run_planned(
            request,
            planner="offline",
            workflow="briefing",
            subject="Acme\x00",
            detail={"objective\x00": TYPED, "steps": [{"note": "a\x00b"}]},
        )
        step = StepResult(
            step_id="crm",
            operation="crm.get_account",
            system="crm",
            status="failed",
            error="bad\x00 answer \udc00",
            started_at=datetime.now(UTC),
            duration_ms=1.0,
        )
        await store.run_finished(
            "text-run", status="completed", answer={"kind": "notice", "text": TYPED}, steps=[step]
        )
        await store.record("text-run", "note", detail={"said": "\x00"})
        detail = await store.get_run("text-run")
    finally:
        await store.close()
    assert detail is not None
    assert detail.run.objective == STORED
    assert detail.run.status == "completed"
    plan, answer = detail.events[1].detail, detail.events[-2].detail
    assert plan == {"objective": STORED, "steps": [{"note": "ab"}]}
    assert answer["text"] == STORED
    assert detail.steps[0].detail["error"] == "bad answer \ufffd"
    assert detail.events[-1].detail == {"said": ""}


async def test_a_mention_with_nul_on_postgres_is_answered_and_audited(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False, database_url=postgres_url)
    async with start_harness(settings) as slack:
        mention = payloads.app_mention(TYPED, user=DANA, channel=CHANNEL, event_id="Ev0NUL")
        assert (await slack.send(mention)).status == 200
        [answer] = await slack.wait_for_answers()
        detail = await slack.finished("slack-Ev0NUL")
    assert "Acme Corporation" in str(answer.args["blocks"])
    assert detail.run.status == "completed"
    assert "\x00" not in detail.run.objective
    assert "Acme" in detail.run.objective

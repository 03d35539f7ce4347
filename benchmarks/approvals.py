"""Benchmark 4: from a click on Approve all to the run's first email, on SQLite and PostgreSQL.

The real bot (``bot.slack_bot.slack_bot``: the Bolt app, the approval desk, DBOS, the audit, the
demo systems) talks to the Slack Web API stand-in. Dana asks it, by mention, to follow up with
last week's webinar prospects: every run plans, reads, drafts its emails and waits for Rachel
Kim's approval, its message posted to her DM. Then, one run at a time, a signed
``block_actions`` request (Approve all, as Slack sends it) is dispatched through the app, and
the time is taken from the dispatch to the moment the mailbox sends the run's first email
(the first item of its ``send`` step: the write has started) and its last (the ``send`` step
has done all its items), both read from the demo outbox's ``sent_at`` (the same wall clock).
The next click waits until the run has finished.

Baseline, interleaved in the same process and the same DBOS: a bare workflow waiting on
``DBOS.recv_async``, woken by ``DBOS.send_async``, timed until its first step after the wake
runs. That is the floor DBOS gives; everything above it is Crosswire's (the app, the desk's
checks and compare-and-set, the audit, the run re-reading the row and updating the copies of
the approval message).
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dbos import DBOS, SetWorkflowID, WorkflowHandleAsync
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.common import CHANNEL, DANA, DANA_EMAIL, SECRET, TOKEN, bench_settings, summary_ms
from bot.render.approvals import APPROVE_ALL
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import slack_bot
from bot.slack_client import web_client
from connectors.demo.writes import outbox
from workflows.approvals import Approval
from workflows.approvals.store import ApprovalStore
from workflows.database_url import audit_url

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
RACHEL = "U0RACHEL"
RACHEL_EMAIL = "rachel.kim@northwind.example"
FOLLOW_UP = "follow up with prospects who attended last week's webinar but haven't booked a demo"
TARGET_P99_MS = 250.0
WAIT_S = 120.0
POLL_S = 0.01
TOPIC = "bench:wake"


async def _woken_at() -> float:
    return time.time()


@DBOS.workflow(name="bench.waits_for_a_message")
async def waits_for_a_message() -> float:
    """The floor: wait for one message, then run one step; when that step ran (wall clock)."""
    await DBOS.recv_async(TOPIC, timeout_seconds=WAIT_S)
    woken: float = await DBOS.run_step_async({"name": "woken"}, _woken_at)
    return woken


@asynccontextmanager
async def postgres_url() -> AsyncIterator[str | None]:
    """A fresh database on the local PostgreSQL server (dropped afterwards), or None when
    there is no server to reach."""
    name = f"crosswire_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(
        f"{audit_url(POSTGRES_SERVER)}/postgres",
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": 5},
    )
    try:
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        except (OSError, DBAPIError):
            yield None
            return
        try:
            yield f"{POSTGRES_SERVER}/{name}"
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def _until(what: str, check: Any, timeout_s: float = WAIT_S) -> Any:
    """Poll the coroutine function ``check`` until it returns something true; that value."""
    deadline = time.perf_counter() + timeout_s
    while not (found := await check()):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"benchmark: {what} did not happen within {timeout_s:.0f} s")
        await asyncio.sleep(POLL_S)
    return found


class Bench:
    """The bot under test, its stand-in, and a read-only view of the demo outbox."""

    def __init__(self, app: AsyncApp, standin: SlackWebApiStandIn, settings: Settings) -> None:
        self.app = app
        self.standin = standin
        self.mailbox = create_async_engine(f"sqlite+aiosqlite:///{settings.demo_database}")

    async def start_runs(self, count: int, store: ApprovalStore) -> list[Approval]:
        """Dana's follow-up asked ``count`` times; the approvals once each is posted to Rachel."""
        for _ in range(count):
            mention = payloads.app_mention(FOLLOW_UP, user=DANA, channel=CHANNEL)
            response = await self._dispatch(mention)
            if response.status != 200:
                raise RuntimeError(f"the mention was answered with HTTP {response.status}")

        async def posted() -> list[Approval] | None:
            waiting = await store.waiting_for(RACHEL_EMAIL)
            ready = [a for a in waiting if a.messages]
            return ready if len(ready) >= count else None

        ready: list[Approval] = await _until(f"{count} approvals posted", posted)
        await asyncio.sleep(0.3)  # each run moves from posting to waiting
        return sorted(ready, key=lambda a: a.created_at)

    async def click(self, approval: Approval) -> dict[str, float]:
        """Approve all, as Rachel, on her copy; seconds to the run's first and last email."""
        ref = next(m for m in approval.messages if m.approver == RACHEL_EMAIL)
        payload = payloads.block_action(
            APPROVE_ALL,
            approval.id,
            user_id=RACHEL,
            channel_id=ref.channel,
            message_ts=ref.ts,
            response_url=self.standin.response_url(ref.channel, RACHEL),
            block_id="decide",
            label="Approve all",
        )
        headers = signed_headers(payload.body.encode(), SECRET, content_type=payload.content_type)
        clicked = time.time()
        response = await self.app.async_dispatch(
            AsyncBoltRequest(body=payload.body, headers=dict(headers))
        )
        acked = time.time()
        if response.status != 200:
            raise RuntimeError(f"the click was answered with HTTP {response.status}")
        count = len(approval.items)

        async def sent() -> tuple[datetime, datetime] | None:
            async with self.mailbox.connect() as conn:
                row = (
                    await conn.execute(
                        select(
                            func.count(), func.min(outbox.c.sent_at), func.max(outbox.c.sent_at)
                        ).where(outbox.c.run_id == approval.run_id)
                    )
                ).one()
            return (row[1], row[2]) if row[0] >= count else None

        first, last = await _until(f"the {count} emails of {approval.run_id}", sent)
        await _until(f"{approval.run_id} finished", lambda: _finished(approval.run_id))
        return {
            "ack": acked - clicked,
            "first_email": _utc(first).timestamp() - clicked,
            "send_step_done": _utc(last).timestamp() - clicked,
        }

    async def _dispatch(self, payload: payloads.Payload) -> Any:
        headers = signed_headers(payload.body.encode(), SECRET, content_type=payload.content_type)
        return await self.app.async_dispatch(
            AsyncBoltRequest(body=payload.body, headers=dict(headers))
        )

    async def close(self) -> None:
        await self.mailbox.dispose()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _finished(run_id: str) -> bool:
    status = await DBOS.get_workflow_status_async(run_id)
    return status is not None and status.status not in ("PENDING", "ENQUEUED")


async def _bare_waiters(count: int) -> list[WorkflowHandleAsync[float]]:
    handles = []
    for _ in range(count):
        with SetWorkflowID(f"bench-wait-{uuid.uuid4().hex}"):
            handles.append(await DBOS.start_workflow_async(waits_for_a_message))
    await asyncio.sleep(0.3)  # each is waiting in recv
    return handles


async def _bare_wake(handle: WorkflowHandleAsync[float]) -> float:
    woken = time.time()
    await DBOS.send_async(handle.workflow_id, {"wake": "decided"}, TOPIC)
    return await handle.get_result() - woken


async def _measure(settings: Settings, clicks: int, label: str) -> dict[str, Any]:
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, DANA_EMAIL, "Dana Reyes")
        standin.add_user(RACHEL, RACHEL_EMAIL, "Rachel Kim")
        client = web_client(TOKEN, standin.base_url)
        async with slack_bot(settings, client, signing_secret=SECRET) as bot:
            bench = Bench(bot.app, standin, settings)
            try:
                store = ApprovalStore(bot.services.audit.engine)
                t0 = time.perf_counter()
                approvals = await bench.start_runs(clicks + 1, store)
                setup_s = time.perf_counter() - t0
                waiters = await _bare_waiters(clicks + 1)
                await bench.click(approvals[0])  # warm-up: the first click of the process
                await _bare_wake(waiters[0])
                timed: list[dict[str, float]] = []
                bare: list[float] = []
                for approval, waiter in zip(approvals[1:], waiters[1:], strict=True):
                    bare.append(await _bare_wake(waiter))
                    timed.append(await bench.click(approval))
            finally:
                await bench.close()
    first = summary_ms([t["first_email"] for t in timed])
    done = summary_ms([t["send_step_done"] for t in timed])
    floor = summary_ms(bare)
    emails = len(approvals[0].items)
    print(
        f"  approvals ({label}): click to first email p50 {first['p50_ms']:7.1f} ms "
        f"p99 {first['p99_ms']:7.1f} ms; bare DBOS wake p50 {floor['p50_ms']:6.1f} ms "
        f"p99 {floor['p99_ms']:6.1f} ms",
        file=sys.stderr,
    )
    return {
        "clicks": clicks,
        "emails_per_run": emails,
        "runs_started_s": round(setup_s, 1),
        "click_to_first_email": first,
        "click_to_first_email_each_ms": [round(t["first_email"] * 1000, 1) for t in timed],
        "click_to_send_step_done": done,
        "click_ack": summary_ms([t["ack"] for t in timed]),
        "bare_dbos_wake": floor,
        "ratio_p50": round(first["p50_ms"] / floor["p50_ms"], 2),
        "ratio_p99": round(first["p99_ms"] / floor["p99_ms"], 2),
    }


async def run(state_dir: Path, *, clicks: int = 30) -> dict[str, Any]:
    """Click to resumed run on SQLite, then on a fresh PostgreSQL database (if one is up)."""
    sqlite = await _measure(bench_settings(state_dir / "sqlite"), clicks, "SQLite")
    async with postgres_url() as url:
        if url is None:
            postgres: dict[str, Any] = {"skipped": f"no PostgreSQL server at {POSTGRES_SERVER}"}
        else:
            settings = bench_settings(state_dir / "postgres").model_copy(
                update={"database_url": audit_url(url)}
            )
            postgres = await _measure(settings, clicks, "PostgreSQL")
    p99 = sqlite["click_to_first_email"]["p99_ms"]
    return {
        "name": "click_to_resumed_run",
        "config": {"clicks": clicks, "request": FOLLOW_UP, "until": "the run's first email"},
        "sqlite": sqlite,
        "postgres": postgres,
        "target_p99_ms_sqlite": TARGET_P99_MS,
        "met": p99 < TARGET_P99_MS,
    }

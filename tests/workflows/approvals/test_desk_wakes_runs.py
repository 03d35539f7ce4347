"""The desk wakes a real DBOS workflow waiting on the approval's topic: once for a decision,
however many clicks, and the run reads the decision from the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS, SetWorkflowID

from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import RACHEL, VICTOR, OrgChart, an_approval
from workflows.approvals import approval_topic
from workflows.approvals.desk import ApprovalDesk
from workflows.approvals.policy import ApprovalPolicy
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url


@DBOS.workflow(name="test_waits_for_approval")
async def waits_for_approval(approval_id: str) -> list[Any]:
    """Wait for two messages on the approval's topic (the second should never come)."""
    topic = approval_topic(approval_id)
    first = await DBOS.recv_async(topic, timeout_seconds=10)
    second = await DBOS.recv_async(topic, timeout_seconds=0.3)
    return [first, second]


async def send(run_id: str, message: dict[str, Any], topic: str, key: str) -> None:
    await DBOS.send_async(run_id, message, topic, idempotency_key=key)


@pytest.fixture
async def durable(audit: AuditStore, tmp_path: Path) -> AsyncIterator[None]:
    url = audit.engine.url.render_as_string(hide_password=False)
    launch(DurableSettings(system_database_url(url, str(tmp_path / "dbos.sqlite")), "local"))
    yield
    shutdown()


@pytest.mark.usefixtures("durable")
async def test_two_clicks_wake_the_waiting_run_once(
    audit: AuditStore, approvals: ApprovalStore, clock: ManualClock
) -> None:
    approval = an_approval(created=START, run_id="run-wakes", approvers=(RACHEL, VICTOR))
    await approvals.create(approval)
    with SetWorkflowID("run-wakes"):
        handle = await DBOS.start_workflow_async(waits_for_approval, approval.id)
    desk = ApprovalDesk(
        approvals, ApprovalPolicy.load(), OrgChart(), audit, clock, timedelta(hours=24), send
    )
    clock.advance(timedelta(minutes=1))
    answers = await asyncio.gather(
        desk.decide(approval.id, RACHEL, "approve"), desk.decide(approval.id, VICTOR, "reject")
    )
    assert sorted(a.outcome for a in answers) == ["already_decided", "decided"]
    first, second = await handle.get_result()
    assert first == {"wake": "decided", "approval_id": approval.id}
    assert second is None
    stored = await approvals.get(approval.id)
    assert stored is not None and stored.status in ("approved", "rejected")

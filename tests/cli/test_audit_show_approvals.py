"""``crosswire audit show RUN_ID`` reads as a record of who decided what: the policy rule of
each write step, the approval's request, refusals, decision and escalation, every action with
its system, operation, idempotency key and outcome, and every compensation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.cli.processes import crosswire
from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import DANA, RACHEL, VICTOR, OrgChart, an_approval, principal
from workflows.approvals.desk import ApprovalDesk
from workflows.approvals.policy import ApprovalPolicy
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.models import RunRequest

RUN = "run-approvals-1"


async def no_wake(run_id: str, message: dict[str, Any], topic: str, key: str) -> None:
    """The run is not waiting in this test: only the record is read."""


async def record_a_run(state: Path) -> None:
    clock = ManualClock(START)
    audit = await AuditStore.open(f"sqlite+aiosqlite:///{state / 'crosswire.db'}", clock=clock)
    request = RunRequest.direct(
        "follow up with the webinar prospects", principal(DANA), received_at=START, run_id=RUN
    )
    await audit.run_started(request, planner="offline")
    policy = {"step_id": "send", "operation": "email.send", "rule": "customer-email"}
    await audit.record(
        RUN,
        "policy",
        key=f"{RUN}:policy:send",
        detail=policy
        | {
            "required": True,
            "approvers": [RACHEL],
            "why": "Emails to customers and prospects need a manager's approval",
        },
    )
    await audit.record(
        RUN,
        "policy",
        key=f"{RUN}:policy:log",
        detail={
            "step_id": "log",
            "operation": "crm.log_activity",
            "rule": "routine-update",
            "required": False,
            "approvers": [],
            "why": "CRM updates, internal tasks and calendar holds need no approval",
        },
    )
    store = ApprovalStore(audit.engine)
    approval = await store.create(an_approval(created=START, run_id=RUN, items=None))
    await audit.record(
        RUN,
        "approval",
        key=f"{RUN}:approval:requested",
        detail={
            "approval_id": approval.id,
            "outcome": "requested",
            "approvers": [RACHEL],
            "at": START.isoformat(),
            "expires_at": approval.expires_at.isoformat(),
            "items": 3,
            "level": 0,
        },
    )
    desk = ApprovalDesk(
        store, ApprovalPolicy.load(), OrgChart(), audit, clock, timedelta(hours=24), no_wake
    )
    clock.advance(timedelta(minutes=1))
    await desk.decide(approval.id, DANA, "approve")
    clock.advance(timedelta(minutes=1))
    await desk.escalate_now(approval.id, RACHEL)
    clock.advance(timedelta(minutes=1))
    await desk.decide(approval.id, VICTOR, "approve")
    for item, outcome in enumerate(("done", "done", "failed")):
        await audit.record(
            RUN,
            "action",
            key=f"{RUN}:action:send:{item}",
            detail={
                "step_id": "send",
                "operation": "email.send",
                "system": "email",
                "item": item,
                "idempotency_key": f"{RUN}:send:{item}",
                "outcome": outcome,
                "error": "the mail server said no" if outcome == "failed" else None,
            },
        )
    await audit.record(
        RUN,
        "compensation",
        key=f"{RUN}:compensation:log:0",
        detail={
            "step_id": "log",
            "item": 0,
            "of": "crm.log_activity",
            "undo": "crm.remove_activity",
            "outcome": "undone",
            "idempotency_key": f"{RUN}:undo_log:0",
            "error": None,
        },
    )
    await audit.record(
        RUN,
        "compensation",
        key=f"{RUN}:compensation:send:0",
        detail={
            "step_id": "send",
            "item": 0,
            "of": "email.send",
            "undo": None,
            "outcome": "not_reversible",
            "error": None,
        },
    )
    await audit.close()


async def test_audit_show_reads_every_decision_and_action(tmp_path: Path) -> None:
    state = tmp_path / "state"
    await record_a_run(state)
    done = crosswire(state, "audit", "show", RUN, env={"TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    lines = [line.split(" ", 1)[1] for line in done.stdout.splitlines() if line[:1].isdigit()]
    apv = an_approval(created=START, run_id=RUN).id
    assert lines[1:] == [
        "policy send email.send: rule customer-email, approval by rachel.kim@northwind.example "
        "(Emails to customers and prospects need a manager's approval)",
        "policy log crm.log_activity: rule routine-update, no approval needed "
        "(CRM updates, internal tasks and calendar holds need no approval)",
        f"approval {apv} requested: 3 items, for rachel.kim@northwind.example "
        "until 2026-11-24 14:00:00 UTC",
        f"approval {apv} refused: Dana Reyes <dana.reyes@northwind.example> at "
        "2026-11-23 14:01:00 UTC: You asked for this, so someone else must approve it.",
        f"approval {apv} escalated to victor.alvarez@northwind.example by Rachel Kim "
        "<rachel.kim@northwind.example> at 2026-11-23 14:02:00 UTC (level 1)",
        f"approval {apv} approved by Victor Alvarez <victor.alvarez@northwind.example> at "
        "2026-11-23 14:03:00 UTC: 3 items",
        f"action send[0] email email.send done, key {RUN}:send:0",
        f"action send[1] email email.send done, key {RUN}:send:1",
        f"action send[2] email email.send failed, key {RUN}:send:2 (the mail server said no)",
        f"undo   log[0] crm.log_activity by crm.remove_activity undone, key {RUN}:undo_log:0",
        "undo   send[0] email.send not_reversible: it cannot be undone",
    ]

"""The desk: a click checked at that moment, the first valid decision winning, every outcome
audited, and time running out on a :class:`ManualClock` (escalation, then expiry)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import DANA, MARCUS, RACHEL, VICTOR, OrgChart, an_approval
from workflows.approvals import Approval, approval_topic, fingerprint
from workflows.approvals.desk import ApprovalDesk
from workflows.approvals.policy import ApprovalPolicy
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.audit.tables import events
from workflows.clock import ManualClock

TTL = timedelta(hours=24)


@dataclass
class Wakes:
    """The runs the desk woke: (run id, message, topic, idempotency key)."""

    sent: list[tuple[str, dict[str, Any], str, str]] = field(default_factory=list)

    async def __call__(self, run_id: str, message: dict[str, Any], topic: str, key: str) -> None:
        self.sent.append((run_id, message, topic, key))


@pytest.fixture
def wakes() -> Wakes:
    return Wakes()


@pytest.fixture
def people() -> OrgChart:
    return OrgChart()


@pytest.fixture
def desk(
    approvals: ApprovalStore, audit: AuditStore, clock: ManualClock, wakes: Wakes, people: OrgChart
) -> ApprovalDesk:
    return ApprovalDesk(approvals, ApprovalPolicy.load(), people, audit, clock, TTL, wakes)


@pytest.fixture
async def waiting(approvals: ApprovalStore) -> Approval:
    return await approvals.create(an_approval(created=START, ttl=TTL))


async def approval_events(audit: AuditStore) -> list[dict[str, Any]]:
    async with audit.engine.connect() as conn:
        query = select(events.c.detail).where(events.c.kind == "approval").order_by(events.c.id)
        return [dict(d) for d in (await conn.execute(query)).scalars()]


async def test_approve_all_wakes_the_run_once(
    desk: ApprovalDesk, waiting: Approval, wakes: Wakes, audit: AuditStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=2))
    answer = await desk.decide(waiting.id, RACHEL, "approve")
    assert answer.outcome == "decided"
    assert answer.text == "Approved all 3 items; the run carries on now."
    assert answer.approval is not None
    assert answer.approval.approved == waiting.items
    assert answer.approval.approved_fingerprint == waiting.fingerprint
    message = {"wake": "decided", "approval_id": waiting.id}
    assert wakes.sent == [("run-1", message, approval_topic(waiting.id), f"{waiting.id}:decided")]

    again = await desk.decide(waiting.id, RACHEL, "approve")
    assert again.outcome == "already_decided"
    assert again.text == "Already approved by Rachel Kim at 14:02 UTC."
    assert len(wakes.sent) == 1
    [decided, repeat] = await approval_events(audit)
    assert decided | {"at": None} == {
        "approval_id": waiting.id,
        "outcome": "approved",
        "by": RACHEL,
        "by_name": "Rachel Kim",
        "at": None,
        "reason": None,
        "level": 0,
        "items": 3,
    }
    assert repeat["outcome"] == "already_decided" and repeat["by"] == RACHEL


async def test_two_approvers_at_once_give_one_decision(
    desk: ApprovalDesk, approvals: ApprovalStore, wakes: Wakes
) -> None:
    approval = await approvals.create(an_approval(created=START, approvers=(RACHEL, VICTOR)))
    answers = await asyncio.gather(
        desk.decide(approval.id, RACHEL, "approve"), desk.decide(approval.id, VICTOR, "reject")
    )
    assert sorted(a.outcome for a in answers) == ["already_decided", "decided"]
    assert len(wakes.sent) == 1


async def test_the_requester_and_strangers_are_refused_and_audited(
    desk: ApprovalDesk, waiting: Approval, wakes: Wakes, audit: AuditStore
) -> None:
    own = await desk.decide(waiting.id, DANA, "approve")
    assert (own.outcome, own.text) == (
        "not_allowed",
        "You asked for this, so someone else must approve it.",
    )
    other = await desk.decide(waiting.id, MARCUS, "approve")
    assert (other.outcome, other.text) == ("not_allowed", "Only Rachel Kim can approve this.")
    unknown = await desk.decide(waiting.id, "mallory@elsewhere.example", "approve")
    assert unknown.outcome == "not_allowed" and "company directory" in unknown.text
    assert wakes.sent == []
    refused = await approval_events(audit)
    assert [(e["outcome"], e["by"]) for e in refused] == [
        ("refused", DANA),
        ("refused", MARCUS),
        ("refused", "mallory@elsewhere.example"),
    ]
    assert refused[1]["why"] == "Only Rachel Kim can approve this."
    row = await desk.store.get(waiting.id)
    assert row is not None and row.open


async def test_an_approver_who_left_the_company_is_refused(
    desk: ApprovalDesk, waiting: Approval, people: OrgChart
) -> None:
    people.left.add(RACHEL)
    answer = await desk.decide(waiting.id, RACHEL, "approve")
    assert answer.outcome == "not_allowed"


async def test_reject_records_the_reason(desk: ApprovalDesk, waiting: Approval) -> None:
    answer = await desk.decide(waiting.id, RACHEL, "reject", reason="  Not this week  ")
    assert answer.outcome == "decided"
    assert answer.approval is not None
    assert answer.approval.status == "rejected" and answer.approval.reason == "Not this week"
    assert answer.approval.approved == ()


async def test_review_one_by_one_and_edit(desk: ApprovalDesk, waiting: Approval) -> None:
    first, _, third = waiting.items
    edited = third.model_copy(update={"args": third.args | {"body": "A better note"}})
    answer = await desk.decide(waiting.id, RACHEL, "approve", items=(first, edited))
    assert answer.outcome == "decided" and answer.approval is not None
    assert [i.args["body"] for i in answer.approval.approved] == ["Hello 0", "A better note"]
    assert answer.approval.approved_fingerprint == fingerprint(
        "email.send", answer.approval.approved
    )
    assert answer.approval.approved_fingerprint != waiting.fingerprint
    assert answer.text == "Approved 2 of 3 items; the run carries on now."


async def test_an_edit_of_a_fixed_argument_is_refused(
    desk: ApprovalDesk, waiting: Approval, wakes: Wakes
) -> None:
    item = waiting.items[0]
    retargeted = item.model_copy(update={"args": item.args | {"to": "someone@else.example"}})
    answer = await desk.decide(waiting.id, RACHEL, "approve", items=(retargeted,))
    assert answer.outcome == "not_allowed"
    assert answer.text == "to of item 1 cannot be changed (only subject and body can be edited)."
    assert wakes.sent == []


async def test_skipping_every_item_sends_nothing(desk: ApprovalDesk, waiting: Approval) -> None:
    answer = await desk.decide(waiting.id, RACHEL, "approve", items=())
    assert answer.approval is not None and answer.approval.status == "rejected"
    assert answer.approval.reason == "Every item was skipped"


async def test_an_unknown_approval(desk: ApprovalDesk) -> None:
    answer = await desk.decide("apv-nothing", RACHEL, "approve")
    assert answer.outcome == "unknown" and answer.approval is None


async def test_time_runs_out_escalates_once_then_expires(
    desk: ApprovalDesk,
    waiting: Approval,
    clock: ManualClock,
    wakes: Wakes,
    audit: AuditStore,
    approvals: ApprovalStore,
) -> None:
    assert await desk.sweep() == 0
    clock.advance(TTL)
    assert await desk.sweep() == 1
    escalated = await approvals.get(waiting.id)
    assert escalated is not None
    assert escalated.level == 1 and escalated.approvers == (RACHEL, VICTOR)
    assert escalated.expires_at == START + 2 * TTL
    assert wakes.sent[-1][1] == {"wake": "escalated", "approval_id": waiting.id}
    assert wakes.sent[-1][3] == f"{waiting.id}:escalated:0"
    assert await desk.sweep() == 0

    clock.advance(TTL)
    sweeps = await asyncio.gather(desk.sweep(), desk.sweep())
    assert sum(sweeps) == 1
    expired = await approvals.get(waiting.id)
    assert expired is not None and expired.status == "expired"
    assert wakes.sent[-1][1:] == (
        {"wake": "expired", "approval_id": waiting.id},
        approval_topic(waiting.id),
        f"{waiting.id}:expired",
    )
    assert len(wakes.sent) == 2

    late = await desk.decide(waiting.id, VICTOR, "approve")
    assert late.outcome == "expired"
    assert late.text == "This approval expired at 14:00 UTC; nothing was sent."
    clock.advance(timedelta(days=1))
    later = await desk.decide(waiting.id, RACHEL, "approve")
    assert later.text == "This approval expired at 14:00 UTC on 25 Nov 2026; nothing was sent."
    outcomes = [e["outcome"] for e in await approval_events(audit)]
    assert outcomes == ["escalated", "expired", "refused", "refused"]


async def test_a_click_after_the_expiry_before_the_sweep_is_refused(
    desk: ApprovalDesk, waiting: Approval, clock: ManualClock, wakes: Wakes
) -> None:
    clock.advance(TTL + timedelta(seconds=1))
    answer = await desk.decide(waiting.id, RACHEL, "approve")
    assert answer.outcome == "expired"
    assert answer.text.startswith("This approval expired at 14:00 UTC")
    assert wakes.sent == []


async def test_an_approver_escalates_by_button(
    desk: ApprovalDesk, waiting: Approval, clock: ManualClock, wakes: Wakes
) -> None:
    clock.advance(timedelta(hours=1))
    answer = await desk.escalate_now(waiting.id, RACHEL)
    assert answer.outcome == "decided"
    assert answer.text == "Asked Victor Alvarez too, until 15:00 UTC on 24 Nov 2026."
    assert answer.approval is not None and answer.approval.approvers == (RACHEL, VICTOR)
    assert wakes.sent[-1][3] == f"{waiting.id}:escalated:0"
    top = await desk.escalate_now(waiting.id, VICTOR)
    assert top.outcome == "not_allowed"
    assert top.text == "There is nobody above the approvers to escalate this to."
    refused = await desk.escalate_now(waiting.id, DANA)
    assert refused.outcome == "not_allowed"
    assert desk.answer_for(answer.approval) == (
        "This waits for Rachel Kim or Victor Alvarez until 15:00 UTC on 24 Nov 2026."
    )

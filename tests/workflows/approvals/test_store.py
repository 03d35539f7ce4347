"""The approvals store: idempotent creation, compare-and-set decisions, escalations and
expiries, and the lists people read, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import DANA, MARCUS, RACHEL, VICTOR, an_approval
from workflows.approvals import MessageRef, fingerprint
from workflows.approvals.store import ApprovalStore


async def test_create_is_idempotent_and_reads_back_what_was_written(
    approvals: ApprovalStore,
) -> None:
    approval = an_approval(created=START)
    assert await approvals.create(approval) == approval
    replayed = approval.model_copy(update={"title": "a replay that computed another title"})
    assert await approvals.create(replayed) == approval
    assert await approvals.get(approval.id) == approval
    assert await approvals.get("apv-none") is None


async def test_messages_are_added_once(approvals: ApprovalStore) -> None:
    approval = await approvals.create(an_approval(created=START))
    dm = MessageRef(channel="D1", ts="1.1", approver=RACHEL)
    await approvals.add_messages(approval.id, (dm,))
    stored = await approvals.add_messages(
        approval.id, (dm, MessageRef(channel="D2", ts="2.2", approver=VICTOR))
    )
    assert [m.channel for m in stored.messages] == ["D1", "D2"]


async def test_two_decisions_at_once_one_wins(approvals: ApprovalStore) -> None:
    approval = await approvals.create(an_approval(created=START))
    at = START + timedelta(minutes=5)

    async def decide(status: str, by: str) -> tuple[bool, str]:
        won, row = await approvals.decide(
            approval.id,
            status="approved" if status == "approved" else "rejected",
            by_email=by,
            by_name=by,
            at=at,
            reason=None,
            approved=approval.items if status == "approved" else (),
            approved_fingerprint=approval.fingerprint if status == "approved" else None,
        )
        return won, row.status

    for _ in range(3):
        results = await asyncio.gather(decide("approved", RACHEL), decide("rejected", VICTOR))
        winners = [r for r in results if r[0]]
        assert len(winners) == 1
        assert {status for _, status in results} == {winners[0][1]}
        approval = await approvals.create(
            an_approval(created=START, run_id=f"run-again-{len(results)}-{_}")
        )


async def test_a_decision_after_the_expiry_loses(approvals: ApprovalStore) -> None:
    approval = await approvals.create(an_approval(created=START, ttl=timedelta(minutes=10)))
    won, row = await approvals.decide(
        approval.id,
        status="approved",
        by_email=RACHEL,
        by_name="Rachel Kim",
        at=START + timedelta(minutes=10),
        reason=None,
        approved=approval.items,
        approved_fingerprint=approval.fingerprint,
    )
    assert not won and row.status == "pending"


async def test_a_decision_keeps_the_items_it_approved(approvals: ApprovalStore) -> None:
    approval = await approvals.create(an_approval(created=START))
    chosen = approval.items[1:]
    won, row = await approvals.decide(
        approval.id,
        status="approved",
        by_email=RACHEL,
        by_name="Rachel Kim",
        at=START + timedelta(hours=1),
        reason="two of three",
        approved=chosen,
        approved_fingerprint=fingerprint(approval.operation, chosen),
    )
    assert won
    assert row.approved == chosen and row.decided_by_name == "Rachel Kim"
    assert row.decided_at == START + timedelta(hours=1)
    assert row.approved_fingerprint == fingerprint("email.send", chosen)


async def test_escalation_and_expiry_are_compare_and_set(approvals: ApprovalStore) -> None:
    approval = await approvals.create(an_approval(created=START, ttl=timedelta(hours=1)))
    later = START + timedelta(hours=1)
    assert [a.id for a in await approvals.due(later)] == [approval.id]
    assert await approvals.due(later - timedelta(seconds=1)) == []

    escalations = await asyncio.gather(
        *(
            approvals.escalate(
                approval.id,
                from_level=0,
                added=(VICTOR,),
                expires_at=later + timedelta(hours=1),
                at=later,
            )
            for _ in range(2)
        )
    )
    assert sorted(won for won, _ in escalations) == [False, True]
    row = escalations[0][1]
    assert row.level == 1 and row.approvers == (RACHEL, VICTOR)
    assert row.expires_at == later + timedelta(hours=1)
    assert await approvals.due(later) == []

    end = later + timedelta(hours=1)
    expiries = await asyncio.gather(
        approvals.expire(approval.id, at=end), approvals.expire(approval.id, at=end)
    )
    assert sorted(won for won, _ in expiries) == [False, True]
    assert expiries[1][1].status == "expired"


async def test_lists_for_approvers_and_requesters(approvals: ApprovalStore) -> None:
    first = await approvals.create(an_approval(created=START))
    second = await approvals.create(
        an_approval(created=START + timedelta(minutes=1), run_id="run-2", requester=MARCUS)
    )
    assert [a.id for a in await approvals.waiting_for(RACHEL.upper())] == [second.id, first.id]
    assert await approvals.waiting_for(VICTOR) == []
    assert [a.id for a in await approvals.requested_by(DANA)] == [first.id]
    assert [a.id for a in await approvals.recent()] == [second.id, first.id]

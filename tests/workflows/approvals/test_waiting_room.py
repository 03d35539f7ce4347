"""The waiting room: a run waits until its approval's row changes, however it changes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import RACHEL, an_approval
from workflows.approvals import Approval
from workflows.approvals.store import ApprovalStore
from workflows.engine.waiting_room import WaitingRoom

AT = START + timedelta(minutes=1)


async def _approve(approvals: ApprovalStore, approval: Approval) -> None:
    won, _ = await approvals.decide(
        approval.id,
        status="approved",
        by_email=RACHEL,
        by_name="Rachel Kim",
        at=AT,
        reason=None,
        approved=approval.items,
        approved_fingerprint=approval.fingerprint,
    )
    assert won


async def test_a_change_made_elsewhere_is_seen_by_the_poll(approvals: ApprovalStore) -> None:
    room = WaitingRoom(approvals.states, interval_s=0.02)
    approval = await approvals.create(an_approval(created=START))
    waiting = asyncio.ensure_future(room.changed(approval.id, ("pending", 0)))
    await asyncio.sleep(0.1)
    assert not waiting.done() and room.waiting == 1
    await _approve(approvals, approval)  # another process: nobody rings
    await asyncio.wait_for(waiting, 5)
    assert room.waiting == 0
    await room.close()


async def test_a_ring_wakes_at_once_and_a_changed_row_does_not_wait(
    approvals: ApprovalStore,
) -> None:
    room = WaitingRoom(approvals.states, interval_s=3600)  # the poll never comes
    approval = await approvals.create(an_approval(created=START))
    waiting = asyncio.ensure_future(room.changed(approval.id, ("pending", 0)))
    await asyncio.sleep(0.05)
    await _approve(approvals, approval)
    room.ring(approval.id)
    await asyncio.wait_for(waiting, 1)
    # A replayed run whose approval moved on finds it changed without waiting.
    await asyncio.wait_for(room.changed(approval.id, ("pending", 0)), 1)
    await room.close()


async def test_a_thousand_waiters_cost_one_query_per_poll(approvals: ApprovalStore) -> None:
    queries: list[int] = []

    async def counted(ids: list[str]) -> dict[str, tuple[str, int]]:
        queries.append(len(ids))
        return await approvals.states(ids)

    room = WaitingRoom(counted, interval_s=0.05)
    ids = [
        (await approvals.create(an_approval(created=START, run_id=f"r{i}"))).id for i in range(20)
    ]
    waits = [asyncio.ensure_future(room.changed(i, ("pending", 0))) for i in ids for _ in range(50)]
    await asyncio.sleep(0.01)
    assert room.waiting == len(waits)  # a waiter is in the room as soon as it starts
    before = len(queries)
    await asyncio.sleep(0.3)
    polls = queries[before:]
    assert polls and all(n == len(ids) for n in polls)  # one query covers every waiter
    assert room.waiting == 1000 and not any(w.done() for w in waits)
    for w in waits:
        w.cancel()
    await asyncio.gather(*waits, return_exceptions=True)
    assert room.waiting == 0
    await room.close()


async def test_a_waiter_arriving_during_a_look_is_not_woken_for_want_of_an_answer(
    approvals: ApprovalStore,
) -> None:
    first = await approvals.create(an_approval(created=START, run_id="first"))
    second = await approvals.create(an_approval(created=START, run_id="second"))
    looking, go_on = asyncio.Event(), asyncio.Event()

    async def slow(ids: list[str]) -> dict[str, tuple[str, int]]:
        states = await approvals.states(ids)
        looking.set()
        await go_on.wait()
        return states

    room = WaitingRoom(slow, interval_s=3600)
    one = asyncio.ensure_future(room.changed(first.id, ("pending", 0)))
    await asyncio.wait_for(looking.wait(), 5)  # the look for `first` is under way
    two = asyncio.ensure_future(room.changed(second.id, ("pending", 0)))
    await asyncio.sleep(0.01)
    looking.clear()
    go_on.set()
    await asyncio.wait_for(looking.wait(), 5)  # the next look, for both, brought forward
    await asyncio.sleep(0.05)
    assert not one.done() and not two.done()
    for waiting in (one, two):
        waiting.cancel()
    await asyncio.gather(one, two, return_exceptions=True)
    await room.close()


async def test_a_waiter_arriving_as_the_room_closes_does_not_keep_it_open() -> None:
    """The arrival wakes the watch at the moment it is cancelled. (Python 3.11's
    ``asyncio.wait_for`` then returns the inner result and the cancellation is lost: a
    test's teardown waited for ever.)"""
    polled = asyncio.Event()
    pending = ("pending", 0)

    async def unchanged(asked: list[str]) -> dict[str, tuple[str, int]]:
        polled.set()
        return dict.fromkeys(asked, pending)

    room = WaitingRoom(unchanged, interval_s=3600)
    first = asyncio.ensure_future(room.changed("a1", pending))
    await polled.wait()
    for _ in range(5):  # the watch goes back to waiting for newcomers
        await asyncio.sleep(0)
    second = asyncio.ensure_future(room.changed("a2", pending))
    await asyncio.sleep(0)  # it has arrived: the watch's wait is over, its wake-up to come
    closing = asyncio.ensure_future(room.close())
    done, _ = await asyncio.wait({closing}, timeout=5)
    assert closing in done, "the watch went on after it was cancelled"
    for waiter in (first, second):
        waiter.cancel()
    await asyncio.gather(first, second, return_exceptions=True)
    assert room.waiting == 0

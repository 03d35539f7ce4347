"""The work after an ack gives way to the edge: it waits while requests are being served or
have just been, and never longer than its bound."""

from __future__ import annotations

import asyncio

from bot.pacing import EdgeActivity


class Time:
    """A clock that only moves when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def activity(time: Time) -> EdgeActivity:
    return EdgeActivity(quiet_s=0.05, max_wait_s=1.0, clock=time.clock, sleep=time.sleep)


async def test_an_edge_that_served_nothing_is_quiet_at_once() -> None:
    time = Time()
    await activity(time).wait_quiet()
    assert time.slept == []


async def test_work_waits_until_the_last_request_is_quiet_s_old() -> None:
    time = Time()
    edge = activity(time)
    with edge.serving():
        pass
    time.now += 0.02
    await edge.wait_quiet()
    assert time.now - 100.0 >= 0.05
    assert time.now - 100.0 < 0.1


async def test_work_waits_while_a_request_is_being_served_however_old_it_is() -> None:
    time = Time()
    edge = activity(time)
    with edge.serving():
        time.now += 5.0  # a slow request: still in flight
        assert not edge.quiet()
        waiter = asyncio.ensure_future(edge.wait_quiet())
        for _ in range(3):
            await asyncio.sleep(0)
        assert not waiter.done()
    await waiter
    assert edge.quiet()


async def test_a_burst_that_never_ends_is_waited_out_for_max_wait_s_only() -> None:
    time = Time()
    edge = activity(time)
    with edge.serving():
        await edge.wait_quiet()
    assert abs(sum(time.slept) - 1.0) < 1e-9

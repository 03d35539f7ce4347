"""Requests of one operation that do not wait on each other, sent together: each answer in
the order asked, and the first failure raised as itself (the rest are cancelled), as a
sequence of awaits would raise it. How many are in flight at once is the client's to bound
(:meth:`~connectors.hubspot.client.HubSpotClient.within`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any, Final, TypeVar

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")

IN_FLIGHT: Final = 4  # an operation's requests under way at once, at most


async def all_of(calls: Iterable[Coroutine[Any, Any, A]]) -> list[A]:
    """Every call's answer, in order."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in calls]
    except BaseExceptionGroup as failed:
        raise _first(failed) from None
    return [t.result() for t in tasks]


async def three(
    a: Coroutine[Any, Any, A], b: Coroutine[Any, Any, B], c: Coroutine[Any, Any, C]
) -> tuple[A, B, C]:
    """Three calls' answers, in order."""
    try:
        async with asyncio.TaskGroup() as group:
            first, second, third = group.create_task(a), group.create_task(b), group.create_task(c)
    except BaseExceptionGroup as failed:
        raise _first(failed) from None
    return first.result(), second.result(), third.result()


def _first(failed: BaseExceptionGroup[BaseException]) -> BaseException:
    found: BaseException = failed
    while isinstance(found, BaseExceptionGroup):
        found = found.exceptions[0]
    return found


__all__ = ["IN_FLIGHT", "all_of", "three"]

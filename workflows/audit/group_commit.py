"""Group commit: rows written by concurrent callers share one transaction.

Steps of a wave finish close together; each must have its audit row committed before its
checkpoint. Writing them one transaction each makes them queue for SQLite's single write lock.
Here a caller's rows join the next transaction to start, and the caller waits for that
commit, so nothing is acknowledged before it is durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Rows = list[dict[str, Any]]


class GroupCommit:
    def __init__(self, write: Callable[[Rows], Awaitable[None]]) -> None:
        self._write = write
        self._pending: list[tuple[Rows, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, rows: Rows) -> None:
        """Return once ``rows`` are committed; raise what the write raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._write([row for rows, _ in batch for row in rows])
            except Exception as exc:  # noqa: BLE001  (handed to every caller in the batch)
                for _, done in batch:
                    done.set_exception(exc)
            else:
                for _, done in batch:
                    done.set_result(None)

"""Stopping a long-running command cleanly on SIGTERM or SIGINT (a container stop, Ctrl-C):
DBOS and the databases closed, runs in flight resumed at the next start."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog

log = structlog.get_logger(__name__)
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@asynccontextmanager
async def stop_signals() -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """What waits for SIGTERM or SIGINT, listening from the start of the block. Enter it
    before the command says it is up: a stop that follows the announcement at once is then a
    clean one too, where it would otherwise kill the process."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in _SIGNALS:
        loop.add_signal_handler(signum, stop.set)

    async def stopped() -> None:
        await stop.wait()
        log.info("serve.stopping")

    try:
        yield stopped
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)

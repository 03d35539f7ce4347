"""A contender for leadership in a process of its own, for ``test_leadership.py``.

``python -m tests.workflows.schedules.leader_process DATABASE_URL LOG_FILE RETRY_S`` starts a
:class:`Leadership` on the database and appends a line ``gain <ns>`` or ``loss <ns>`` to
LOG_FILE (``time.monotonic_ns()``, the same clock in every process on the machine) when it
gains or loses the lead, then prints ``started`` (its logs go to stderr). It runs until it
is killed; on SIGTERM it stops its leadership and exits.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import structlog

from workflows.schedules.leadership import Leadership


def record(log_file: Path, what: str) -> None:
    """Append ``what`` and the time to ``log_file``, on disk before it returns."""
    with log_file.open("a") as out:
        out.write(f"{what} {time.monotonic_ns()}\n")
        out.flush()
        os.fsync(out.fileno())


async def main(database_url: str, log_file: str, retry_s: str) -> None:
    path = Path(log_file)
    # stdout carries only "started"; the parent reads nothing after it.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))

    async def gained() -> None:
        record(path, "gain")

    async def lost() -> None:
        record(path, "loss")

    leadership = Leadership(database_url, retry_s=float(retry_s), on_gain=gained, on_loss=lost)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    await leadership.start()
    print("started", flush=True)
    await stopping.wait()
    await leadership.stop()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))

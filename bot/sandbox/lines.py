"""Lines typed into the sandbox chat, read without blocking the event loop.

A terminal or a pipe is watched by the event loop itself, so a Ctrl-C at the prompt stops
the chat at once (a read in a worker thread would keep the process alive until Enter). A
regular file (``< script.txt``) cannot be watched and is read in a thread; it never blocks
for long. An in-memory stream is read directly.
"""

from __future__ import annotations

import asyncio
import io
import os
from typing import TextIO

CHUNK = 65536


class LineReader:
    """``await readline()`` gives the next line with its newline, or ``""`` at the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._fd = _watchable_fd(stream)
        self._buffer = b""
        self._eof = False

    @property
    def interactive(self) -> bool:
        """Whether a person types these lines at a terminal (which shows them as typed)."""
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    async def readline(self) -> str:
        if self._fd is None:
            return await self._read_stream()
        while b"\n" not in self._buffer and not self._eof:
            chunk = await _read_when_ready(self._fd)
            self._eof = not chunk
            self._buffer += chunk
        line, newline, self._buffer = self._buffer.partition(b"\n")
        return (line + newline).decode("utf-8", errors="replace")

    async def _read_stream(self) -> str:
        if isinstance(self._stream, io.StringIO):
            return self._stream.readline()
        return await asyncio.to_thread(self._stream.readline)


def _watchable_fd(stream: TextIO) -> int | None:
    """The stream's descriptor if the event loop can watch it (a terminal, pipe or socket)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    loop = asyncio.get_running_loop()
    try:
        loop.add_reader(fd, lambda: None)
    except (OSError, ValueError, NotImplementedError):  # a regular file; epoll refuses it
        return None
    loop.remove_reader(fd)
    return fd


async def _read_when_ready(fd: int) -> bytes:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
    return os.read(fd, CHUNK)

"""Runs shown in a terminal: progress lines on stderr; the answer is printed by the caller."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from bot.render.text import progress_line
from workflows.answers import RunAnswer
from workflows.models import RunRequest
from workflows.ports import Progress


@dataclass
class TerminalReporter:
    stream: TextIO = sys.stderr
    show_progress: bool = True
    # Two systems finishing together report the same state twice: print it once.
    _last: str = field(default="", init=False)

    async def started(self, request: RunRequest, progress: Progress) -> str | None:
        if self.show_progress:
            print(
                f"Gathering {progress.subject} from {len(progress.systems)} systems…",
                file=self.stream,
                flush=True,
            )
        return None

    async def progress(self, request: RunRequest, handle: str | None, progress: Progress) -> None:
        line = progress_line(progress)
        if self.show_progress and progress.finished and line != self._last:
            self._last = line
            print(line, file=self.stream, flush=True)

    async def finished(self, request: RunRequest, handle: str | None, answer: RunAnswer) -> None:
        """Nothing to do: ``crosswire ask`` prints the answer it awaited."""

"""Test doubles that ship with the core (like the scripted planner): a reporter that keeps
what it was told instead of showing it."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.answers import RunAnswer
from workflows.models import RunRequest
from workflows.ports import Progress


@dataclass
class CollectingReporter:
    """A :class:`~workflows.ports.RunReporter` that records every call."""

    started_with: list[Progress] = field(default_factory=list)
    updates: list[Progress] = field(default_factory=list)
    answers: list[RunAnswer] = field(default_factory=list)

    async def started(self, request: RunRequest, progress: Progress) -> str | None:
        self.started_with.append(progress)
        return f"handle-{request.run_id}"

    async def progress(self, request: RunRequest, handle: str | None, progress: Progress) -> None:
        self.updates.append(progress)

    async def finished(self, request: RunRequest, handle: str | None, answer: RunAnswer) -> None:
        self.answers.append(answer)

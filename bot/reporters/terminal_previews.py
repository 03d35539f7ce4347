"""Plan previews of runs asked in a terminal: ``crosswire ask`` shows the plan and asks Run or
Cancel itself (:mod:`bot.cli.ask`), so nothing is posted anywhere."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.approvals.models import Approval, MessageRef
from workflows.models import RunRequest


@dataclass(frozen=True)
class TerminalPreviewNotifier:
    """Previews of runs asked in a terminal: ``crosswire ask`` shows them and asks itself."""

    async def shown(self, preview: Approval, request: RunRequest) -> tuple[MessageRef, ...]:
        return ()

    async def settled(self, preview: Approval, request: RunRequest) -> None:
        return None

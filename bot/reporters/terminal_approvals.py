"""Approvals shown in a terminal (``crosswire ask``): who must decide, until when, and where.

Nobody can click in a terminal: the approval waits in the database, and an approver decides
it in Slack (or in ``crosswire serve``'s sandbox, with ``/crosswire approvals``); the run
then finishes in the server, which resumes it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from workflows.approvals import Approval, MessageRef
from workflows.approvals.policy import names_of
from workflows.models import RunRequest
from workflows.ports import People


@dataclass
class TerminalApprovalNotifier:
    """Prints approvals, naming people as ``people`` knows them."""

    people: People
    stream: TextIO = sys.stderr

    async def requested(self, approval: Approval, request: RunRequest) -> tuple[MessageRef, ...]:
        self._print(
            f"{approval.title}: waiting for {self._names(approval.approvers)} to approve, "
            f"until {approval.expires_at:%Y-%m-%d %H:%M} UTC (approval {approval.id}). "
            "Approvers decide in Slack, or in `crosswire serve` with `/crosswire approvals`."
        )
        return ()

    async def escalated(
        self, approval: Approval, request: RunRequest, added: tuple[str, ...]
    ) -> tuple[MessageRef, ...]:
        self._print(f"{approval.title}: no answer yet; also asked {self._names(added)}.")
        return ()

    async def settled(self, approval: Approval, request: RunRequest) -> None:
        who = approval.decided_by_name or approval.decided_by or ""
        self._print(f"{approval.title}: {approval.status}" + (f" by {who}" if who else "") + ".")

    def _names(self, emails: tuple[str, ...]) -> str:
        return names_of(emails, self.people) or "nobody"

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

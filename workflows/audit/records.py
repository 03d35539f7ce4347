"""Read models of the audit record."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

EventKind = Literal[
    "trigger", "plan", "step", "decision", "answer", "delivery", "duplicate", "error"
]
# "skipped": a scheduled delivery that was due but not made (the audit says why).
RunStatus = Literal["running", "completed", "failed", "refused", "skipped"]
# Whether the answer reached the requester; a ``delivery`` event records it with the run.
DeliveryStatus = Literal["delivered", "not_delivered"]


class AuditEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    at: datetime
    kind: str
    step_id: str | None = None
    operation: str | None = None
    system: str | None = None
    status: str | None = None
    duration_ms: float | None = None
    detail: dict[str, Any] = {}


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    created_at: datetime
    trigger: str
    requester_email: str
    objective: str
    workflow: str | None
    subject: str | None
    status: str
    answer_kind: str | None
    finished_at: datetime | None


class RunDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: RunSummary
    channel: str | None
    requester_slack_id: str | None
    planner: str | None
    events: list[AuditEvent]

    @property
    def steps(self) -> list[AuditEvent]:
        return [e for e in self.events if e.kind == "step"]

    @property
    def delivery(self) -> AuditEvent | None:
        """Whether the answer reached the requester (``None`` for runs recorded before this
        was kept, and for refusals, which are answered at the edge)."""
        return next((e for e in self.events if e.kind == "delivery"), None)

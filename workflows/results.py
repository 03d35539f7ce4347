"""What running one step produced: its output as JSON, or why it has none."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

StepStatus = Literal["ok", "failed", "skipped"]
# "late": cut off by its run's deadline (or the grace after the other systems answered),
# rather than failing on its own.
# ``denied``: the requester may not see it (:class:`~workflows.errors.NotPermitted`).
FailureKind = Literal[
    "transient", "permanent", "denied", "timeout", "late", "circuit_open", "internal"
]


class ItemResult(BaseModel):
    """One call of a fan-out (one email of many): its own outcome and idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    status: StepStatus
    output: Any = None
    error: str | None = None
    failure: FailureKind | None = None
    idempotency_key: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class StepResult(BaseModel):
    """The checkpointed outcome of one plan step (JSON-safe, so replays read it back as is)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step_id: str
    operation: str
    system: str
    status: StepStatus
    output: Any = None
    error: str | None = None
    failure: FailureKind | None = None
    attempts: int = 0
    started_at: datetime
    duration_ms: float = 0.0
    # A fan-out's calls, each with its own outcome (empty for a single call). ``output`` is
    # then the list of the successful calls' outputs, in item order.
    items: tuple[ItemResult, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed_items(self) -> list[ItemResult]:
        return [i for i in self.items if i.status == "failed"]


class Compensation(BaseModel):
    """One completed write undone (or not) after a later write failed for good."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step_id: str
    item: int | None = None
    of: str
    undo: str | None = None
    outcome: Literal["undone", "failed", "not_reversible"]
    idempotency_key: str | None = None
    error: str | None = None

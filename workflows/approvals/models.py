"""Approvals as data: what exactly will be done, who may decide, until when, and what was decided.

An :class:`Approval` is written before anything is shown to anyone. Its ``items`` are the exact
calls the paused step will make (operation arguments, one per item of a fan-out); its
``fingerprint`` covers them. A decision records the items it approved (possibly edited, then
with a fingerprint of their own), so what runs is exactly what someone approved.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.models import ReplyTarget, RunRequest

ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]
# What the waiting run is told (DBOS message on topic ``approval_topic(id)``); the row in the
# store is the truth, the message only wakes the run.
Wake = Literal["decided", "escalated", "expired"]
# Plan previews are kept as approvals (the same row, compare-and-set, wait and expiry) whose
# id says what they are; their rule is PREVIEW_RULE, a name no policy rule may take.
PREVIEW_PREFIX = "prv-"
PREVIEW_RULE = "plan-preview"


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApprovalItem(Model):
    """One call the paused step will make if approved (one email, one discount)."""

    index: int
    args: dict[str, Any]
    summary: str = Field(description="One line: what this item does, to whom")
    why: str = Field(default="", description="Why this item: what the run found")
    preview: str = Field(default="", description="The content as its recipient will see it")
    editable: tuple[str, ...] = Field(
        default=(), description="Names of the string arguments an approver may edit"
    )


class MessageRef(Model):
    """One posted copy of an approval message (a DM to an approver, a channel post)."""

    channel: str
    ts: str
    approver: str = ""


class Approval(Model):
    """A persisted request for a human decision on one step of one run."""

    id: str
    run_id: str
    step_id: str
    operation: str
    system: str
    title: str
    requester_email: str
    requester_name: str
    reply: ReplyTarget
    items: tuple[ApprovalItem, ...]
    fingerprint: str
    approvers: tuple[str, ...]
    rule: str
    level: int = 0
    created_at: datetime
    expires_at: datetime
    status: ApprovalStatus = "pending"
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    approved: tuple[ApprovalItem, ...] = ()
    approved_fingerprint: str | None = None
    messages: tuple[MessageRef, ...] = ()

    @property
    def open(self) -> bool:
        return self.status == "pending"

    @property
    def is_preview(self) -> bool:
        """A plan preview: the requester's own Run or Cancel before a plan that writes starts
        (approved: run; rejected: cancelled), not an approver's decision on one step."""
        return self.id.startswith(PREVIEW_PREFIX)


def approval_id(run_id: str, step_id: str) -> str:
    """The approval of one step of one run: the same id on every replay."""
    digest = hashlib.sha256(f"{run_id}:{step_id}".encode()).hexdigest()[:16]
    return f"apv-{digest}"


def preview_id(run_id: str) -> str:
    """The plan preview of one run (one per run): the same id on every replay."""
    digest = hashlib.sha256(f"{run_id}:preview".encode()).hexdigest()[:16]
    return f"{PREVIEW_PREFIX}{digest}"


def approval_topic(approval_id: str) -> str:
    """The DBOS message topic the waiting run listens on."""
    return f"approval:{approval_id}"


def fingerprint(operation: str, items: tuple[ApprovalItem, ...] | list[ApprovalItem]) -> str:
    """A digest of exactly what would be called: the operation and each item's arguments."""
    canonical = json.dumps(
        [operation, [[item.index, item.args] for item in items]],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def requesters_decision(
    request: RunRequest,
    *,
    id: str,
    step_id: str,
    operation: str,
    title: str,
    items: tuple[ApprovalItem, ...],
    now: datetime,
    ttl: timedelta,
) -> Approval:
    """A decision the requester takes themselves (a plan preview's Run or Cancel, the answer
    to a clarifying question): only they may decide, under the rule no policy may take."""
    return Approval(
        id=id,
        run_id=request.run_id,
        step_id=step_id,
        operation=operation,
        system="crosswire",
        title=title,
        requester_email=request.principal.email,
        requester_name=request.principal.name,
        reply=request.objective.reply,
        items=items,
        fingerprint=fingerprint(operation, items),
        approvers=(request.principal.email,),
        rule=PREVIEW_RULE,
        created_at=now,
        expires_at=now + ttl,
    )

"""Approvals: the action boundary's policy, the persisted approvals, and the desk that decides."""

from workflows.approvals.models import (
    Approval,
    ApprovalItem,
    ApprovalStatus,
    MessageRef,
    Wake,
    approval_id,
    approval_topic,
    fingerprint,
)

__all__ = [
    "Approval",
    "ApprovalItem",
    "ApprovalStatus",
    "MessageRef",
    "Wake",
    "approval_id",
    "approval_topic",
    "fingerprint",
]

"""A person's verdict on two records of the identity graph, recorded one way wherever it is
given (``crosswire identity same|different``, a Same / Different button): kept in the graph
(it wins over the model from then on), audited, and served by the directory."""

from __future__ import annotations

import uuid
from typing import Any

from connectors.identity import IdentityDirectory
from connectors.resolution import RecordKey, ResolutionError, Verdict
from workflows.audit import AuditStore


async def record_verdict(
    audit: AuditStore,
    directory: IdentityDirectory,
    left: RecordKey,
    right: RecordKey,
    verdict: Verdict,
    by: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Keep ``by``'s verdict on ``left`` and ``right`` and audit it (``detail`` adds to the
    audit line). A verdict that contradicts earlier ones is audited as refused and raises
    :class:`~connectors.resolution.ResolutionError`; nothing is kept then."""
    line = (detail or {}) | {"verdict": verdict, "by": by}
    line |= {"left": f"{left[0]}:{left[1]}", "right": f"{right[0]}:{right[1]}"}
    try:
        await directory.override(left, right, verdict, by=by)
    except ResolutionError as exc:
        await audit_identity(audit, line | {"outcome": "refused", "reason": str(exc)})
        raise
    await audit_identity(audit, line | {"outcome": "recorded"})


async def audit_identity(audit: AuditStore, detail: dict[str, Any]) -> None:
    """An audit line about the identity graph (a verdict, a refusal)."""
    await audit.record(f"identity-{uuid.uuid4().hex[:12]}", "identity_override", detail=detail)

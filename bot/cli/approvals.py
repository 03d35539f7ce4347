"""``crosswire approvals list``: what waits for a decision, and what was decided lately.

It reads the approvals store directly (no durable runtime is started), so it works beside a
running server. ``--as EMAIL`` narrows the list to what waits for that person and what they
asked for.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from bot.cli.audit import clip, local
from bot.cli.directory import company_directory
from bot.settings import Settings
from connectors.identity import IdentityDirectory
from workflows.approvals.models import Approval
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore

COLUMNS = ("APPROVAL", "STATUS", "TITLE", "REQUESTER", "APPROVERS", "EXPIRES / DECIDED")
TITLE_WIDTH = 48
RECENT = 50


async def approvals_list(settings: Settings, *, email: str | None, as_json: bool) -> int:
    """Print the approvals (all recent ones, or ``email``'s); exit 1 for an unknown person."""
    directory = await company_directory(settings)
    person = directory.find_employee(email) if email else None
    if email and person is None:
        print(
            f"crosswire: nobody in the company directory has the email {email!r}.", file=sys.stderr
        )
        return 1
    audit = await AuditStore.open(settings.audit_database_url)
    try:
        shown = await _listed(ApprovalStore(audit.engine), person.email if person else None)
    finally:
        await audit.close()
    if as_json:
        print(json.dumps([_json(a, directory) for a in shown], indent=2))
    elif not shown:
        print(_nothing(person.name if person else None))
    else:
        print(_table(shown, directory))
    return 0


async def _listed(store: ApprovalStore, email: str | None) -> list[Approval]:
    """Pending first (soonest expiry first), then the rest, newest first; each once."""
    if email is None:
        found = await store.recent(RECENT)
    else:
        found = [*await store.waiting_for(email), *await store.requested_by(email, limit=RECENT)]
    unique = list({a.id: a for a in found}.values())
    pending = sorted((a for a in unique if a.open), key=lambda a: a.expires_at)
    settled = sorted((a for a in unique if not a.open), key=lambda a: a.created_at, reverse=True)
    return [*pending, *settled]


def _nothing(name: str | None) -> str:
    if name is None:
        return "No approvals yet: nothing has waited for a decision."
    return f"Nothing waits for {name}'s approval, and {name} has asked for none."


def _table(shown: list[Approval], directory: IdentityDirectory) -> str:
    rows = [
        (
            a.id,
            a.status,
            clip(a.title, TITLE_WIDTH),
            a.requester_name,
            ", ".join(_name(e, directory) for e in a.approvers) or "-",
            _when(a),
        )
        for a in shown
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in [COLUMNS, *rows]
    )


def _when(approval: Approval) -> str:
    match approval.status:
        case "pending":
            return f"expires {_stamp(approval.expires_at)}"
        case "expired":
            return f"expired {_stamp(approval.decided_at or approval.expires_at)}"
        case "approved" | "rejected":
            by = approval.decided_by_name or approval.decided_by or "?"
            at = _stamp(approval.decided_at) if approval.decided_at else "-"
            return f"{approval.status} by {by} {at}"


def _stamp(at: datetime) -> str:
    return f"{local(at):%Y-%m-%d %H:%M %Z}"


def _name(email: str, directory: IdentityDirectory) -> str:
    found = directory.find_employee(email)
    return found.name if found is not None else email


def _json(approval: Approval, directory: IdentityDirectory) -> dict[str, Any]:
    data = approval.model_dump(mode="json", exclude={"reply", "messages"})
    data["approver_names"] = [_name(e, directory) for e in approval.approvers]
    return data

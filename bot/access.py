"""Access control, composed: the principals the demo CRM's org chart gives, every operation
of the catalog checked against them, refusals and narrowed answers in the audit, and the
planner's intake checked before any planner (or model) reads a request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog
from dbos import DBOS

from connectors.access import AccessPolicy, NoAccess, Principals, Scoped, guarded
from connectors.demo.org import DemoOrg
from connectors.demo.store import DemoWorld
from workflows.audit import AuditStore
from workflows.catalog import AnyOperation, CallContext, Catalog
from workflows.clock import Clock
from workflows.planning import Planner
from workflows.planning.access_check import access_checked
from workflows.ports import CustomerFinder

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AuditedAccess:
    """Records the access layer's refusals (with their rule) and narrowed answers (counts)
    in the audit: account ids and rules, never an account's data."""

    audit: AuditStore

    async def refused(self, ctx: CallContext, operation: AnyOperation, refusal: NoAccess) -> None:
        log.info("access.refused", operation=operation.name, rule=refusal.rule)
        await self.audit.record(
            ctx.run_id,
            "access",
            key=f"{ctx.idempotency_key}:access",
            step_id=ctx.step_id,
            status="refused",
            operation=operation.name,
            system=operation.system,
            detail={
                "rule": refusal.rule,
                "stage": "call",
                "requester": ctx.requester_email,
                "accounts": [refusal.account_id],
                "why": str(refusal),
            },
        )

    async def narrowed(self, ctx: CallContext, operation: AnyOperation, scoped: Scoped) -> None:
        await self.audit.record(
            ctx.run_id,
            "access",
            key=f"{ctx.idempotency_key}:access",
            step_id=ctx.step_id,
            status="narrowed",
            operation=operation.name,
            system=operation.system,
            detail={
                "rule": "territory",
                "stage": "call",
                "requester": ctx.requester_email,
                "left_out": scoped.left_out,
                "amounts_withheld": scoped.withheld,
            },
        )


def access_principals(world: DemoWorld, clock: Clock, policy_file: Path | None) -> Principals:
    """Principals from the demo CRM, by the access policy in ``policy_file`` (None: the
    packaged demo defaults), cached on ``clock``."""
    return Principals(DemoOrg(world), AccessPolicy.load(policy_file), clock)


def checked_catalog(catalog: Catalog, principals: Principals, audit: AuditStore) -> Catalog:
    """``catalog`` with every operation checked against the requester's principal."""
    return guarded(catalog, principals, AuditedAccess(audit))


def checked_planner(
    planner: Planner, finder: CustomerFinder, principals: Principals, audit: AuditStore
) -> Planner:
    """``planner`` behind the access check of its intake; refusals are audited under the run
    being planned (the durable workflow the planning step runs in)."""
    return access_checked(planner, finder, principals, audit, _current_run)


def _current_run() -> str | None:
    return DBOS.workflow_id

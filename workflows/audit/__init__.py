"""The audit record: who asked what, the plan, every step, every decision, the answer.

Append-only events plus one row per run for listing. SQLite by default, PostgreSQL in
production, through SQLAlchemy's async engine.
"""

from workflows.audit.records import AuditEvent, RunDetail, RunSummary
from workflows.audit.store import AuditStore

__all__ = ["AuditEvent", "AuditStore", "RunDetail", "RunSummary"]

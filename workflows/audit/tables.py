"""The audit schema."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(200), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("trigger_id", String(200), nullable=False),
    Column("requester_email", String(320), nullable=False),
    Column("requester_slack_id", String(40)),
    Column("channel", String(80)),
    Column("objective", Text, nullable=False),
    Column("planner", String(40)),
    Column("workflow", String(80)),
    Column("subject", String(200)),
    Column("status", String(20), nullable=False),
    Column("answer_kind", String(20)),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_runs_created_at", "created_at"),
)

events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(300), nullable=False, unique=True),
    Column("run_id", String(200), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("step_id", String(80)),
    Column("operation", String(120)),
    Column("system", String(60)),
    Column("status", String(20)),
    Column("duration_ms", Float),
    Column("detail", JSON, nullable=False),
)

# Requests for a human decision (workflows/approvals/store.py): one row per paused step, its
# status changed only by compare-and-set, so the first valid decision wins.
approvals = Table(
    "approvals",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("run_id", String(200), nullable=False, index=True),
    Column("step_id", String(80), nullable=False),
    Column("operation", String(120), nullable=False),
    Column("system", String(60), nullable=False),
    Column("title", Text, nullable=False),
    Column("requester_email", String(320), nullable=False, index=True),
    Column("requester_name", String(200), nullable=False),
    Column("reply", JSON, nullable=False),
    Column("items", JSON, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("approvers", JSON, nullable=False),
    Column("rule", String(120), nullable=False),
    Column("level", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("decided_by", String(320)),
    Column("decided_by_name", String(200)),
    Column("decided_at", DateTime(timezone=True)),
    Column("reason", Text),
    Column("approved", JSON, nullable=False),
    Column("approved_fingerprint", String(64)),
    Column("messages", JSON, nullable=False),
    Index("ix_approvals_due", "status", "expires_at"),
)

# What the edge received and acknowledged, written before the acknowledgement (see
# workflows/inbox.py): a row is ``pending`` until what it asks for has been started.
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("executor_id", String(120), nullable=False),
    Column("status", String(20), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Index("ix_inbox_backlog", "executor_id", "status", "id"),
)

heartbeats = Table(
    "replica_heartbeats",
    metadata,
    Column("executor_id", String(120), primary_key=True),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

# Schedules (workflows/schedules/store.py): what runs when, and for whom. ``next_fire_at`` is
# moved on by compare-and-set, so a tick is claimed once however many schedulers see it.
schedules = Table(
    "schedules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("when_text", String(200), nullable=False),
    Column("tz", String(64), nullable=False),
    Column("cron", String(120)),
    Column("every_s", Integer),
    Column("objective", Text, nullable=False),
    Column("owner", JSON, nullable=False),
    Column("owner_email", String(320), nullable=False, index=True),
    Column("channel", String(80), index=True),
    Column("source", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_fire_at", DateTime(timezone=True), index=True),
    Column("last_fire_at", DateTime(timezone=True)),
    Column("last_run_id", String(200)),
    Column("failures", Integer, nullable=False, default=0),
    Column("paused_reason", Text),
)

# Every tick a schedule fired (or skipped), keyed by the run it started.
schedule_fires = Table(
    "schedule_fires",
    metadata,
    Column("run_id", String(200), primary_key=True),
    Column("schedule_id", String(120), nullable=False, index=True),
    Column("fire_at", DateTime(timezone=True), nullable=False),
    Column("fired_at", DateTime(timezone=True), nullable=False),
    Column("lateness_ms", Float, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

# A person's own pre-meeting briefings (``/crosswire briefings on|off|lead 45m``).
briefing_prefs = Table(
    "briefing_prefs",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("lead_s", Integer),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

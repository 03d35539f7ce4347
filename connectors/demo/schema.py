"""SQLite tables of the demo world: one group of tables per system, each in its own spelling.

Datetimes are stored as naive UTC and read back timezone-aware. Calendar events are stored
as a time of the generated day (anchor "today") or as rolling recurring meetings on a fixed
UTC grid (anchor "every"), so that the world's data depend only on the seed and the day while
there is always a meeting in the next few hours, and a meeting's start never moves as the
clock does (see :mod:`connectors.demo.calendar`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime stored as a naive one."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()


def _table(name: str, *columns: Column[object]) -> Table:
    return Table(name, metadata, *columns)


meta = _table("meta", Column("key", String, primary_key=True), Column("value", String))

crm_users = _table(
    "crm_users",
    Column("email", String, primary_key=True),
    Column("name", String),
    Column("title", String),
    Column("roles", JSON),
    Column("manager_email", String, nullable=True),
)
crm_accounts = _table(
    "crm_accounts",
    Column("id", String, primary_key=True),
    Column("name", String),
    Column("domain", String),
    Column("industry", String),
    Column("owner_email", String),
    Column("lifecycle_stage", String),
    # Also kept by the contracts system and the support desk (connectors.demo.disagreements).
    Column("renewal_date", Date, nullable=True),
    Column("phone", String, nullable=True),
)
crm_contacts = _table(
    "crm_contacts",
    Column("id", String, primary_key=True),
    Column("account_id", String, index=True),
    Column("name", String),
    Column("email", String),
    Column("title", String),
)
crm_deals = _table(
    "crm_deals",
    Column("id", String, primary_key=True),
    Column("account_id", String, index=True),
    Column("name", String),
    Column("amount", Float),
    Column("stage", String),
    Column("close_date", Date),
)
# Who works on each deal: the account owner, and colleagues on its team (a co-selling rep,
# the customer success manager of a renewal). An open deal's team may see its account
# (connectors.access).
crm_deal_team = _table(
    "crm_deal_team",
    Column("deal_id", String, primary_key=True),
    Column("email", String, primary_key=True),
    Column("role", String),  # "owner" or "member"
)
crm_activities = _table(
    "crm_activities",
    Column("id", String, primary_key=True),
    Column("account_id", String, index=True),
    Column("at", UtcDateTime),
    Column("kind", String),
    Column("summary", String),
    Column("by_email", String),
    Column("contact_email", String, nullable=True, index=True),  # who it was with, if one
)
mail_threads = _table(
    "mail_threads",
    Column("id", String, primary_key=True),
    Column("subject", String),
    Column("participants", JSON),
    Column("message_count", Integer),
    Column("last_from", String),
    Column("last_at", UtcDateTime),
    Column("snippet", String),
)
calendar_events = _table(
    "calendar_events",
    Column("id", String, primary_key=True),
    Column("title", String),
    Column("anchor", String),  # "today" (from midnight UTC) or "every" (recurring)
    Column("offset_minutes", Integer),  # from midnight, or into each period of the grid
    Column("period_minutes", Integer, nullable=True),  # "every" rows: how often
    Column("duration_minutes", Integer),
    Column("organizer_email", String),
    Column("attendees", JSON),
)
support_orgs = _table(
    "support_orgs",
    Column("id", String, primary_key=True),
    Column("name", String),
    Column("phone", String, nullable=True),
)
support_tickets = _table(
    "support_tickets",
    Column("id", String, primary_key=True),
    Column("org_id", String, index=True),
    Column("subject", String),
    Column("priority", String),
    Column("status", String),
    Column("opened_at", UtcDateTime),
    Column("requester_email", String),
)
contracts = _table(
    "contracts",
    Column("id", String, primary_key=True),
    Column("customer_name", String),
    Column("tier", String),
    Column("start_date", Date),
    Column("renewal_date", Date),
    Column("annual_value", Float),
    Column("auto_renew", Boolean),
    Column("terms", JSON),
)
usage_daily = _table(
    "usage_daily",
    Column("tenant", String, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("active_users", Integer),
)
billing_customers = _table(
    "billing_customers", Column("id", String, primary_key=True), Column("name", String)
)
billing_invoices = _table(
    "billing_invoices",
    Column("number", String, primary_key=True),
    Column("customer_id", String, index=True),
    Column("amount", Float),
    Column("issued_on", Date),
    Column("due_on", Date),
    Column("status", String),  # "paid" or "open"; overdue is derived from the due date
)
webinar_attendance = _table(
    "webinar_attendance",
    Column("id", Integer, primary_key=True),
    Column("webinar", String),
    Column("email", String),
    Column("attended_at", UtcDateTime),
)
demo_bookings = _table(
    "demo_bookings",
    Column("id", Integer, primary_key=True),
    Column("email", String),
    Column("booked_at", UtcDateTime),
    Column("slot", UtcDateTime),
)

"""CRM operations: an account's owner, stage, open deals and last activity; contacts by email
and their recent activity. Activities logged through ``crm.log_activity`` (and not removed)
count as the CRM's own, and so do field updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

from pydantic import Field
from sqlalchemy import RowMapping, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from connectors import normalise
from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import AccountInput, Input, read_operation
from connectors.demo.ops_commercial import field_overrides
from connectors.demo.schema import crm_accounts, crm_activities, crm_contacts, crm_deals, crm_users
from connectors.demo.store import DemoWorld
from connectors.demo.writes import crm_logged_activities
from workflows.catalog import AnyOperation
from workflows.domain import (
    Activity,
    ContactActivities,
    ContactActivity,
    ContactProfile,
    ContactProfiles,
    CrmAccount,
    CrmLookup,
    Deal,
)

CLOSED_STAGES: Final = ("Closed Won", "Closed Lost")


class FindContactsInput(Input):
    """``emails`` to look up, less ``exclude``; optionally only accounts ``owner_email`` owns
    and in ``lifecycle_stage``."""

    emails: list[str] = Field(max_length=1_000)
    exclude: list[str] = Field(default_factory=list, max_length=1_000)
    owner_email: str | None = None
    lifecycle_stage: Literal["prospect", "customer", "churned"] | None = None


class ContactActivityInput(Input):
    emails: list[str] = Field(max_length=1_000)
    since_days: int = Field(default=30, ge=1, le=365)


def crm_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``crm.get_account``, ``crm.find_contacts`` and ``crm.contact_activity``."""

    async def find_contacts(inp: FindContactsInput) -> ContactProfiles:
        async with world.read() as snapshot:
            return await _contacts(snapshot.conn, inp)

    async def contact_activity(inp: ContactActivityInput) -> ContactActivities:
        wanted = sorted({e.strip().lower() for e in inp.emails})
        async with world.read() as snapshot:
            since = snapshot.now - timedelta(days=inp.since_days)
            rows = await _activity_rows(snapshot.conn, since=since, contacts=wanted)
        return ContactActivities(activities=[_contact_activity(r) for r in rows])

    async def get_account(inp: AccountInput) -> CrmLookup:
        crm_id = inp.account.links.get("crm")
        if crm_id is None:
            return CrmLookup()
        async with world.read() as snapshot:
            return CrmLookup(account=await _account(snapshot.conn, crm_id))

    return [
        read_operation(
            "crm.get_account",
            "CRM record of a customer account: owner, lifecycle stage, open deals "
            "(soonest close first) and the last logged activity.",
            (AccountInput, CrmLookup),
            get_account,
            behaviour,
        ),
        read_operation(
            "crm.find_contacts",
            "CRM contacts among `emails` (minus `exclude`), with title, company, its "
            "lifecycle stage and owner; optionally only accounts `owner_email` owns, or in one "
            "`lifecycle_stage`. `emails` lists the matches in order.",
            (FindContactsInput, ContactProfiles),
            find_contacts,
            behaviour,
        ),
        read_operation(
            "crm.contact_activity",
            "CRM activities (calls, emails, meetings, notes) with any of `emails` in the last "
            "`since_days` days, newest first.",
            (ContactActivityInput, ContactActivities),
            contact_activity,
            behaviour,
        ),
    ]


async def _account(conn: AsyncConnection, crm_id: str) -> CrmAccount | None:
    query = (
        select(crm_accounts, crm_users.c.name.label("owner_name"))
        .join(crm_users, crm_users.c.email == crm_accounts.c.owner_email, isouter=True)
        .where(crm_accounts.c.id == crm_id)
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    fields = {"industry": row["industry"], "lifecycle_stage": row["lifecycle_stage"]}
    fields |= await field_overrides(conn, crm_id)
    return CrmAccount(
        account_id=row["id"],
        name=row["name"],
        owner_name=row["owner_name"] or row["owner_email"],
        owner_email=row["owner_email"],
        renewal_date=row["renewal_date"],
        phone=normalise.phone(row["phone"]),
        **fields,
        open_deals=await _open_deals(conn, crm_id),
        last_activity=await _last_activity(conn, crm_id),
    )


async def _open_deals(conn: AsyncConnection, crm_id: str) -> list[Deal]:
    query = (
        select(crm_deals)
        .where(crm_deals.c.account_id == crm_id, crm_deals.c.stage.not_in(CLOSED_STAGES))
        .order_by(crm_deals.c.close_date, crm_deals.c.id)
    )
    rows = (await conn.execute(query)).mappings()
    return [Deal.model_validate({k: v for k, v in r.items() if k != "account_id"}) for r in rows]


async def _last_activity(conn: AsyncConnection, crm_id: str) -> Activity | None:
    rows = await _activity_rows(conn, account_id=crm_id, limit=1)
    if not rows:
        return None
    row = rows[0]
    return Activity(at=row["at"], kind=row["kind"], summary=row["summary"], by=row["by"])


async def _activity_rows(
    conn: AsyncConnection,
    *,
    account_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    contacts: Sequence[str] | None = None,
) -> Sequence[RowMapping]:
    """Generated and logged (not removed) activities, newest first, with who logged them."""
    g, w = crm_activities, crm_logged_activities
    columns = ("account_id", "contact_email", "at", "kind", "summary", "by_email")
    generated = select(*(g.c[c] for c in columns), literal(0).label("logged"))
    logged = select(*(w.c[c] for c in columns), literal(1).label("logged")).where(
        w.c.removed_at.is_(None)
    )
    both = union_all(generated, logged).subquery()
    query = (
        select(both, func.coalesce(crm_users.c.name, both.c.by_email).label("by"))
        .join(crm_users, crm_users.c.email == both.c.by_email, isouter=True)
        .order_by(both.c.at.desc(), both.c.logged.desc())
    )
    if account_id is not None:
        query = query.where(both.c.account_id == account_id)
    if since is not None:
        query = query.where(both.c.at >= since)
    if contacts is not None:
        query = query.where(func.lower(both.c.contact_email).in_(contacts))
    if limit is not None:
        query = query.limit(limit)
    return (await conn.execute(query)).mappings().all()


def _contact_activity(row: RowMapping) -> ContactActivity:
    return ContactActivity(
        contact_email=row["contact_email"],
        account_id=row["account_id"],
        at=row["at"],
        kind=row["kind"],
        summary=row["summary"],
        by=row["by"],
    )


async def _contacts(conn: AsyncConnection, inp: FindContactsInput) -> ContactProfiles:
    wanted = list(dict.fromkeys(e.strip().lower() for e in inp.emails))
    excluded = {e.strip().lower() for e in inp.exclude}
    c, a = crm_contacts, crm_accounts
    query = (
        select(c, a.c.name.label("company"), a.c.lifecycle_stage, a.c.owner_email)
        .add_columns(func.coalesce(crm_users.c.name, a.c.owner_email).label("owner_name"))
        .join(a, a.c.id == c.c.account_id)
        .join(crm_users, crm_users.c.email == a.c.owner_email, isouter=True)
        .where(func.lower(c.c.email).in_(wanted))
    )
    if inp.owner_email is not None:
        query = query.where(func.lower(a.c.owner_email) == inp.owner_email.strip().lower())
    rows = {r["email"].lower(): r for r in (await conn.execute(query)).mappings()}
    profiles = []
    for email in wanted:
        row = rows.get(email)
        if row is None or email in excluded:
            continue
        stage = (await field_overrides(conn, row["account_id"])).get(
            "lifecycle_stage", row["lifecycle_stage"]
        )
        if inp.lifecycle_stage is not None and stage != inp.lifecycle_stage:
            continue
        fields = ("name", "email", "title", "account_id", "company", "owner_email", "owner_name")
        profiles.append(ContactProfile(lifecycle_stage=stage, **{f: row[f] for f in fields}))
    return ContactProfiles(contacts=profiles, emails=[p.email for p in profiles])

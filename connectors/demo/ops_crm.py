"""CRM operations: an account's owner, stage, open deals and last activity."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import AccountInput, read_operation
from connectors.demo.schema import crm_accounts, crm_activities, crm_deals, crm_users
from connectors.demo.store import DemoWorld
from workflows.catalog import AnyOperation
from workflows.domain import Activity, CrmAccount, CrmLookup, Deal

CLOSED_STAGES: Final = ("Closed Won", "Closed Lost")


def crm_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``crm.get_account``."""

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
        )
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
    return CrmAccount(
        account_id=row["id"],
        name=row["name"],
        industry=row["industry"],
        owner_name=row["owner_name"] or row["owner_email"],
        owner_email=row["owner_email"],
        lifecycle_stage=row["lifecycle_stage"],
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
    query = (
        select(crm_activities, crm_users.c.name.label("by_name"))
        .join(crm_users, crm_users.c.email == crm_activities.c.by_email, isouter=True)
        .where(crm_activities.c.account_id == crm_id)
        .order_by(crm_activities.c.at.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    by = row["by_name"] or row["by_email"]
    return Activity(at=row["at"], kind=row["kind"], summary=row["summary"], by=by)

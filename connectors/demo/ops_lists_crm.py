"""CRM lists across accounts: accounts by owner, stage, industry or renewal window, and deals
closing in a period. Field updates written through ``crm.update_field`` count, as they do for
``crm.get_account``; an account's renewal is its current contract's."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Literal, Self

from pydantic import Field, model_validator
from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import context_read_operation
from connectors.demo.ops_lists_base import (
    AccountIndex,
    PageInput,
    lowered,
    page,
)
from connectors.demo.schema import contracts, crm_accounts, crm_deals, crm_users
from connectors.demo.store import DemoWorld
from connectors.demo.writes import crm_field_values
from workflows.catalog import AnyOperation, CallContext
from workflows.domain import AccountDeal, AccountList, AccountRef, AccountSummary, Deal, DealList

Stage = Literal["prospect", "customer", "churned"]
CLOSED_STAGES: Final = frozenset({"closed won", "closed lost"})
MAX_DEAL_WINDOW: Final = timedelta(days=366)


class ListAccountsInput(PageInput):
    """Accounts matching every filter given: owned by ``owner_email``, in ``lifecycle_stage``,
    in ``industry`` (ignoring case), or whose contract renews within ``renews_within_days``."""

    owner_email: str | None = None
    lifecycle_stage: Stage | None = None
    industry: str | None = Field(default=None, min_length=1, max_length=100)
    renews_within_days: int | None = Field(default=None, ge=0, le=730)


class DealsClosingInput(PageInput):
    """Deals whose close date is from ``from_date`` to ``to_date`` (both included, at most a
    year apart); open ones only unless ``include_closed`` or a closed ``stage`` is asked for."""

    from_date: date
    to_date: date
    owner_email: str | None = None
    stage: str | None = Field(default=None, min_length=1, max_length=50)
    include_closed: bool = False

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.to_date < self.from_date:
            raise ValueError("to_date must not be before from_date")
        if self.to_date - self.from_date > MAX_DEAL_WINDOW:
            raise ValueError("the period can be at most a year long")
        return self


def crm_list_operations(
    world: DemoWorld, index: AccountIndex, behaviour: DemoBehaviour
) -> list[AnyOperation]:
    """``crm.list_accounts`` and ``crm.deals_closing``."""
    lists = _CrmLists(world, index)
    return [
        context_read_operation(
            "crm.list_accounts",
            "CRM accounts filtered by `owner_email`, `lifecycle_stage`, `industry` and/or "
            "`renews_within_days` (contract renewal from today), each with owner, stage, "
            "industry, renewal date and annual value; soonest renewal first when a renewal "
            "window is given, else by name; paged by `limit` (up to 200) and `offset`.",
            (ListAccountsInput, AccountList),
            lists.accounts,
            behaviour,
        ),
        context_read_operation(
            "crm.deals_closing",
            "CRM deals closing from `from_date` to `to_date` (ISO dates, both included), "
            "optionally only those of accounts `owner_email` owns or in one `stage`; open "
            "deals only unless `include_closed`; soonest close first, each with its account.",
            (DealsClosingInput, DealList),
            lists.deals,
            behaviour,
        ),
    ]


class _CrmLists:
    def __init__(self, world: DemoWorld, index: AccountIndex) -> None:
        self.world = world
        self.index = index

    async def accounts(self, inp: ListAccountsInput, ctx: CallContext) -> AccountList:
        async with self.world.read() as snapshot:
            summaries = await _summaries(snapshot.conn, self.index.by_id())
            today = snapshot.today
        matches = [s for s in summaries if _account_matches(s, inp, today)]
        if inp.renews_within_days is not None:
            matches.sort(key=lambda s: (s.renewal_date or date.max, s.account.name))
        chosen = page(matches, inp)
        return AccountList(
            accounts=chosen.items, total=chosen.total, next_offset=chosen.next_offset
        )

    async def deals(self, inp: DealsClosingInput, ctx: CallContext) -> DealList:
        d, a = crm_deals, crm_accounts
        query = (
            select(d, a.c.owner_email, a.c.name.label("account_name"), a.c.domain)
            .join(a, a.c.id == d.c.account_id)
            .where(d.c.close_date >= inp.from_date, d.c.close_date <= inp.to_date)
            .order_by(d.c.close_date, d.c.amount.desc(), d.c.id)
        )
        if inp.owner_email is not None:
            query = query.where(func.lower(a.c.owner_email) == lowered(inp.owner_email))
        async with self.world.read() as snapshot:
            rows = (await snapshot.conn.execute(query)).mappings().all()
        accounts = self.index.by_id()
        deals = [_deal(r, accounts) for r in rows if _deal_wanted(r, inp)]
        chosen = page(deals, inp)
        return DealList(
            deals=chosen.items,
            total=chosen.total,
            total_amount=round(sum(d.amount for d in deals), 2),
            next_offset=chosen.next_offset,
        )


def _account_matches(summary: AccountSummary, inp: ListAccountsInput, today: date) -> bool:
    if inp.owner_email is not None and summary.owner_email.lower() != lowered(inp.owner_email):
        return False
    if inp.lifecycle_stage is not None and summary.lifecycle_stage != inp.lifecycle_stage:
        return False
    if inp.industry is not None and summary.industry.lower() != lowered(inp.industry):
        return False
    if inp.renews_within_days is None:
        return True
    last = today + timedelta(days=inp.renews_within_days)
    return summary.renewal_date is not None and today <= summary.renewal_date <= last


async def _summaries(conn: AsyncConnection, known: dict[str, AccountRef]) -> list[AccountSummary]:
    """Every CRM account, by name, with the field updates written and its contract."""
    a = crm_accounts
    query = (
        select(a, func.coalesce(crm_users.c.name, a.c.owner_email).label("owner_name"))
        .join(crm_users, crm_users.c.email == a.c.owner_email, isouter=True)
        .order_by(a.c.name, a.c.id)
    )
    rows = (await conn.execute(query)).mappings().all()
    overrides = await _overrides(conn)
    terms = {r["id"]: r for r in (await conn.execute(select(contracts))).mappings()}
    summaries = []
    for row in rows:
        account = known.get(row["id"]) or AccountRef(
            account_id=row["id"], name=row["name"], domain=row["domain"]
        )
        contract = terms.get(account.links.get("contracts", ""))
        summaries.append(_summary(row, account, overrides.get(row["id"], {}), contract))
    return summaries


def _summary(
    row: RowMapping, account: AccountRef, written: dict[str, str], contract: RowMapping | None
) -> AccountSummary:
    fields = {"industry": row["industry"], "lifecycle_stage": row["lifecycle_stage"]} | written
    return AccountSummary(
        account=account,
        owner_email=row["owner_email"],
        owner_name=row["owner_name"],
        renewal_date=contract["renewal_date"] if contract else None,
        annual_value=contract["annual_value"] if contract else None,
        **fields,
    )


async def _overrides(conn: AsyncConnection) -> dict[str, dict[str, str]]:
    """The fields updates have set, by account id and field name."""
    v = crm_field_values
    found: dict[str, dict[str, str]] = {}
    for account_id, field, value in await conn.execute(
        select(v.c.account_id, v.c.field, v.c.value)
    ):
        found.setdefault(str(account_id), {})[str(field)] = str(value)
    return found


def _deal_wanted(row: RowMapping, inp: DealsClosingInput) -> bool:
    stage = str(row["stage"]).lower()
    if inp.stage is not None:
        return stage == lowered(inp.stage)
    return inp.include_closed or stage not in CLOSED_STAGES


def _deal(row: RowMapping, accounts: dict[str, AccountRef]) -> AccountDeal:
    account = accounts.get(row["account_id"]) or AccountRef(
        account_id=row["account_id"], name=row["account_name"], domain=row["domain"]
    )
    fields = {k: row[k] for k in Deal.model_fields if k in row}
    return AccountDeal(account=account, owner_email=row["owner_email"], **fields)


__all__ = ["DealsClosingInput", "ListAccountsInput", "crm_list_operations"]

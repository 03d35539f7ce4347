"""The CRM's lists over HubSpot, with the demo world's inputs and outputs: accounts by owner,
stage, industry or renewal window (``crm.list_accounts``), and deals closing in a period
(``crm.deals_closing``), each a ``POST /crm/v3/objects/{companies,deals}/search``.

The filters go to HubSpot (``EQ``, ``NOT_IN``, ``BETWEEN`` on Unix milliseconds) and are
checked again here, so a portal that compares text another way cannot widen a list. HubSpot
sorts a search by one property only, so every match is fetched (``after`` paging) and the
page is cut here, in the demo world's order. An account's renewal date and annual value are
the company's ``renewal_date`` and ``annual_value`` properties (custom: see the README); a
deal's account is its primary company (``/crm/v4/associations`` batch read)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import Any, Final

from connectors import normalise
from connectors.demo.ops_base import context_read_operation
from connectors.demo.ops_lists_base import AccountIndex, page
from connectors.demo.ops_lists_crm import DealsClosingInput, ListAccountsInput
from connectors.hubspot.client import SYSTEM, HubSpotClient
from connectors.hubspot.owners import Owners
from connectors.hubspot.properties import (
    CLOSED_STAGES,
    DEAL_PROPERTIES,
    STAGE_TO_HUBSPOT,
    between,
    day,
    deal,
    eq,
    number,
    stage,
)
from workflows.catalog import AnyOperation, CallContext
from workflows.clock import Clock
from workflows.domain import AccountDeal, AccountList, AccountRef, AccountSummary, DealList

ANNUAL_VALUE: Final = "annual_value"
ACCOUNT_PROPERTIES: Final = (
    "name", "domain", "industry", "lifecyclestage", "hubspot_owner_id", "renewal_date",
    ANNUAL_VALUE,
)  # fmt: skip
PRIMARY_COMPANY: Final = 5  # HubSpot's association type id: a deal's primary company
BATCH: Final = 100


def list_operations(
    hubspot: HubSpotClient, index: AccountIndex, owners: Owners, clock: Clock
) -> list[AnyOperation]:
    """``crm.list_accounts`` and ``crm.deals_closing``, as the demo world declares them."""
    lists = _Lists(hubspot, index, owners, clock)
    return [
        context_read_operation(
            "crm.list_accounts",
            "CRM accounts filtered by `owner_email`, `lifecycle_stage`, `industry` and/or "
            "`renews_within_days` (contract renewal from today), each with owner, stage, "
            "industry, renewal date and annual value; soonest renewal first when a renewal "
            "window is given, else by name; paged by `limit` (up to 200) and `offset`.",
            (ListAccountsInput, AccountList),
            lists.accounts,
            None,
        ),
        context_read_operation(
            "crm.deals_closing",
            "CRM deals closing from `from_date` to `to_date` (ISO dates, both included), "
            "optionally only those of accounts `owner_email` owns or in one `stage`; open "
            "deals only unless `include_closed`; soonest close first, each with its account.",
            (DealsClosingInput, DealList),
            lists.deals,
            None,
        ),
    ]


class _Lists:
    def __init__(
        self, hubspot: HubSpotClient, index: AccountIndex, owners: Owners, clock: Clock
    ) -> None:
        self.hubspot, self.index, self.owners, self.clock = hubspot, index, owners, clock

    async def accounts(self, inp: ListAccountsInput, ctx: CallContext) -> AccountList:
        filters: list[dict[str, Any]] = []
        if inp.owner_email is not None:
            owner = await self.owners.id_of(inp.owner_email)
            if owner is None:
                return AccountList()
            filters.append(eq("hubspot_owner_id", owner))
        if inp.lifecycle_stage is not None:
            filters.append(eq("lifecyclestage", STAGE_TO_HUBSPOT[inp.lifecycle_stage]))
        if inp.industry is not None:
            filters.append(eq("industry", inp.industry.strip()))
        today = self.clock.now().astimezone(UTC).date()
        window = None
        if inp.renews_within_days is not None:
            window = (today, today + timedelta(days=inp.renews_within_days))
            filters.append(between("renewal_date", *window))
        sort = ("renewal_date" if window else "name", "ASCENDING")
        found = await self.hubspot.search("companies", filters, ACCOUNT_PROPERTIES, sort=sort)
        summaries = [await self._summary(c) for c in found]
        matches = sorted((s for s in summaries if _matches(s, inp, window)),
                         key=lambda s: (s.account.name, s.account.account_id))  # fmt: skip
        if window is not None:
            matches.sort(key=lambda s: (s.renewal_date or date.max, s.account.name))
        chosen = page(matches, inp)
        return AccountList(
            accounts=chosen.items, total=chosen.total, next_offset=chosen.next_offset
        )

    async def deals(self, inp: DealsClosingInput, ctx: CallContext) -> DealList:
        filters: list[dict[str, Any]] = [between("closedate", inp.from_date, inp.to_date)]
        if inp.stage is not None:
            filters.append(eq("dealstage", inp.stage.strip()))
        elif not inp.include_closed:
            filters.append({"propertyName": "dealstage", "operator": "NOT_IN",
                            "values": list(CLOSED_STAGES)})  # fmt: skip
        found = await self.hubspot.search(
            "deals", filters, DEAL_PROPERTIES, sort=("closedate", "ASCENDING")
        )
        company_of = await self._companies_of(str(d["id"]) for d in found)
        companies = await self.hubspot.read_many(
            "companies", sorted(set(company_of.values())), ACCOUNT_PROPERTIES
        )
        wanted_owner = None if inp.owner_email is None else normalise.email(inp.owner_email)
        deals: list[AccountDeal] = []
        for raw in found:
            company = companies.get(company_of.get(str(raw["id"]), ""))
            if company is None:
                continue
            owner = (await self.owners.name_and_email(company["properties"].get(
                "hubspot_owner_id")))[1]  # fmt: skip
            one = deal(raw)
            if (wanted_owner is None or owner == wanted_owner) and _deal_wanted(one.stage, inp):
                account = self._account(company)
                deals.append(AccountDeal(account=account, owner_email=owner, **one.model_dump()))
        deals.sort(key=lambda d: (d.close_date, -d.amount, d.id))
        chosen = page(deals, inp)
        return DealList(
            deals=chosen.items,
            total=chosen.total,
            total_amount=round(sum(d.amount for d in deals), 2),
            next_offset=chosen.next_offset,
        )

    async def _summary(self, company: dict[str, Any]) -> AccountSummary:
        props = company["properties"]
        owner_name, owner_email = await self.owners.name_and_email(props.get("hubspot_owner_id"))
        return AccountSummary(
            account=self._account(company),
            industry=str(props.get("industry") or ""),
            lifecycle_stage=stage(props.get("lifecyclestage")),
            owner_email=owner_email,
            owner_name=owner_name,
            renewal_date=day(props.get("renewal_date")),
            annual_value=number(props.get(ANNUAL_VALUE)),
        )

    def _account(self, company: dict[str, Any]) -> AccountRef:
        """The customer a company is, as the identity layer knows it (or as HubSpot does)."""
        props = company["properties"]
        return self.index.by_link(SYSTEM).get(str(company["id"])) or AccountRef(
            account_id=str(company["id"]),
            name=str(props.get("name") or ""),
            domain=str(props.get("domain") or ""),
        )

    async def _companies_of(self, deal_ids: Iterable[str]) -> dict[str, str]:
        """Each deal's primary company (else its first), a hundred deals a request."""
        ids = list(dict.fromkeys(deal_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), BATCH):
            inputs = [{"id": i} for i in ids[start : start + BATCH]]
            answer = await self.hubspot.post(
                "/crm/v4/associations/deals/companies/batch/read", {"inputs": inputs}
            )
            results = answer.get("results") if isinstance(answer, dict) else None
            for result in results if isinstance(results, list) else []:
                company = _primary(result.get("to") if isinstance(result, dict) else None)
                if company is not None:
                    found[str(result["from"]["id"])] = company
        return found


def _primary(linked: object) -> str | None:
    if not isinstance(linked, list) or not linked:
        return None
    targets = [t for t in linked if isinstance(t, dict) and "toObjectId" in t]
    primary = [t for t in targets if any(
        a.get("typeId") == PRIMARY_COMPANY for a in t.get("associationTypes") or [])]  # fmt: skip
    chosen = (primary or sorted(targets, key=lambda t: str(t["toObjectId"])))[:1]
    return str(chosen[0]["toObjectId"]) if chosen else None


def _matches(
    summary: AccountSummary, inp: ListAccountsInput, window: tuple[date, date] | None
) -> bool:
    if inp.lifecycle_stage is not None and summary.lifecycle_stage != inp.lifecycle_stage:
        return False
    if inp.industry is not None and summary.industry.lower() != inp.industry.strip().lower():
        return False
    if window is None:
        return True
    return summary.renewal_date is not None and window[0] <= summary.renewal_date <= window[1]


def _deal_wanted(deal_stage: str, inp: DealsClosingInput) -> bool:
    if inp.stage is not None:
        return deal_stage.lower() == inp.stage.strip().lower()
    return inp.include_closed or deal_stage.lower() not in {s.lower() for s in CLOSED_STAGES}


__all__ = ["list_operations"]

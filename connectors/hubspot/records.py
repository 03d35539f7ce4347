"""The CRM's records of one customer over HubSpot, with the demo world's inputs and outputs:
an account's record (``crm.get_account``: the company, its owner, open deals soonest first and
its newest engagement), the contacts among some emails (``crm.find_contacts``) and their recent
activity (``crm.contact_activity``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors import normalise
from connectors.demo.ops_base import AccountInput
from connectors.demo.ops_crm import ContactActivityInput, FindContactsInput
from connectors.errors import RecordNotFound
from connectors.hubspot.client import SYSTEM, HubSpotClient
from connectors.hubspot.owners import Owners
from connectors.hubspot.properties import (
    BY_PROPERTY,
    CLOSED_STAGES,
    COMPANY_PROPERTIES,
    DEAL_PROPERTIES,
    ENGAGEMENTS,
    Kind,
    day,
    deal,
    eq,
    hubspot_time,
    moment,
    stage,
)
from workflows.catalog import CallContext
from workflows.clock import Clock
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


class Records:
    """The read handlers; owners are looked up once each for the connector's life."""

    def __init__(self, hubspot: HubSpotClient, owners: Owners, clock: Clock) -> None:
        self.hubspot, self.owners, self.clock = hubspot, owners, clock

    async def get_account(self, inp: AccountInput, ctx: CallContext) -> CrmLookup:
        company_id = inp.account.links.get(SYSTEM)
        if company_id is None:
            return CrmLookup()
        try:
            company = await self.hubspot.read("companies", company_id, COMPANY_PROPERTIES)
        except RecordNotFound:
            return CrmLookup()
        props = company["properties"]
        owner = await self.owners.name_and_email(props.get("hubspot_owner_id"))
        fields = {
            "account_id": str(company["id"]),
            "name": str(props.get("name") or ""),
            "industry": str(props.get("industry") or ""),
            "owner_name": owner[0],
            "owner_email": owner[1],
            "lifecycle_stage": stage(props.get("lifecyclestage")),
            # The main phone (HubSpot's own property) and the renewal date (a custom date
            # property), where the CRM record declares them.
            "phone": normalise.phone(props.get("phone")),
            "renewal_date": day(props.get("renewal_date")),
            "open_deals": await self._open_deals(company_id),
            "last_activity": await self._last_activity(company_id),
        }
        declared = CrmAccount.model_fields
        account = {k: v for k, v in fields.items() if k in declared}
        return CrmLookup(account=CrmAccount.model_validate(account))

    async def find_contacts(self, inp: FindContactsInput, ctx: CallContext) -> ContactProfiles:
        wanted = list(dict.fromkeys(normalise.email(e) for e in inp.emails))
        excluded = {normalise.email(e) for e in inp.exclude}
        found = {normalise.email(c["properties"].get("email")): c
                 for c in await self._contacts_by_email(wanted)}  # fmt: skip
        profiles = []
        for email in wanted:
            contact = found.get(email)
            if contact is None or email in excluded:
                continue
            props = contact["properties"]
            company_id = str(props.get("associatedcompanyid") or "")
            company = await self._company_props(company_id)
            if company is None:
                continue
            owner = await self.owners.name_and_email(company.get("hubspot_owner_id"))
            if inp.owner_email is not None and owner[1] != normalise.email(inp.owner_email):
                continue
            lifecycle = stage(company.get("lifecyclestage"))
            if inp.lifecycle_stage is not None and lifecycle != inp.lifecycle_stage:
                continue
            name = normalise.person_name(props.get("firstname"), props.get("lastname"))
            profiles.append(ContactProfile(
                name=name, email=email, title=str(props.get("jobtitle") or ""),
                account_id=company_id, company=str(company.get("name") or ""),
                lifecycle_stage=lifecycle, owner_email=owner[1], owner_name=owner[0],
            ))  # fmt: skip
        return ContactProfiles(contacts=profiles, emails=[p.email for p in profiles])

    async def contact_activity(
        self, inp: ContactActivityInput, ctx: CallContext
    ) -> ContactActivities:
        wanted = sorted({normalise.email(e) for e in inp.emails})
        since = self.clock.now().astimezone(UTC) - timedelta(days=inp.since_days)
        rows: list[ContactActivity] = []
        for contact in await self._contacts_by_email(wanted):
            email = normalise.email(contact["properties"].get("email"))
            for kind, (object_type, body, _, _) in ENGAGEMENTS.items():
                found = await self.hubspot.search(
                    object_type,
                    [eq("associations.contact", str(contact["id"])),
                     {"propertyName": "hs_timestamp", "operator": "GTE",
                      "value": hubspot_time(since)}],
                    ["hs_timestamp", body, "hubspot_owner_id", BY_PROPERTY],
                    sort=("hs_timestamp", "DESCENDING"),
                )  # fmt: skip
                for raw in found:
                    props = raw["properties"]
                    owner = (await self.owners.name_and_email(props.get("hubspot_owner_id")))[0]
                    rows.append(ContactActivity(
                        contact_email=email, account_id=await self._company_of(object_type, raw),
                        at=moment(props.get("hs_timestamp")), kind=kind,
                        summary=str(props.get(body) or ""),
                        by=str(props.get(BY_PROPERTY) or owner),
                    ))  # fmt: skip
        rows.sort(key=lambda r: r.at, reverse=True)
        return ContactActivities(activities=rows)

    async def _contacts_by_email(self, emails: list[str]) -> list[dict[str, Any]]:
        """Contacts whose email is one of ``emails``, a hundred values a search."""
        found: list[dict[str, Any]] = []
        properties = ["email", "firstname", "lastname", "jobtitle", "associatedcompanyid"]
        for start in range(0, len(emails), 100):
            chunk = emails[start : start + 100]
            if chunk:
                found += await self.hubspot.search(
                    "contacts", [{"propertyName": "email", "operator": "IN", "values": chunk}],
                    properties,
                )  # fmt: skip
        return found

    async def _company_props(self, company_id: str) -> dict[str, Any] | None:
        if not company_id:
            return None
        try:
            found = await self.hubspot.read("companies", company_id, COMPANY_PROPERTIES)
        except RecordNotFound:
            return None
        return dict(found["properties"])

    async def _company_of(self, object_type: str, raw: dict[str, Any]) -> str:
        """The company an engagement is associated to (``/crm/v4`` associations)."""
        found = await self.hubspot.get(
            f"/crm/v4/objects/{object_type}/{raw['id']}/associations/companies"
        )
        results = found.get("results") if isinstance(found, dict) else None
        if not isinstance(results, list) or not results:
            return ""
        return str(results[0].get("toObjectId", ""))

    async def _open_deals(self, company: str) -> list[Deal]:
        found = await self.hubspot.search(
            "deals",
            [eq("associations.company", company),
             {"propertyName": "dealstage", "operator": "NOT_IN", "values": list(CLOSED_STAGES)}],
            DEAL_PROPERTIES,
            sort=("closedate", "ASCENDING"),
        )  # fmt: skip
        deals = [deal(d) for d in found]
        return sorted(deals, key=lambda d: (d.close_date, d.id))

    async def _last_activity(self, company: str) -> Activity | None:
        """The newest engagement of any kind associated to the company."""
        newest: tuple[datetime, Kind, dict[str, Any]] | None = None
        for kind, (object_type, body, _, _) in ENGAGEMENTS.items():
            found = await self.hubspot.search(
                object_type,
                [eq("associations.company", company)],
                ["hs_timestamp", body, "hubspot_owner_id", BY_PROPERTY],
                sort=("hs_timestamp", "DESCENDING"),
                limit=1,
            )
            if found:
                at = moment(found[0]["properties"].get("hs_timestamp"))
                if newest is None or at > newest[0]:
                    newest = (at, kind, found[0])
        if newest is None:
            return None
        at, kind, raw = newest
        props = raw["properties"]
        by = (
            props.get(BY_PROPERTY)
            or (await self.owners.name_and_email(props.get("hubspot_owner_id")))[0]
        )
        return Activity(at=at, kind=kind, summary=str(props.get(ENGAGEMENTS[kind][1]) or ""),
                        by=str(by))  # fmt: skip

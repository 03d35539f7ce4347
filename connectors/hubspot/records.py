"""The CRM's records of one customer over HubSpot, with the demo world's inputs and outputs:
an account's record (``crm.get_account``: the company, its owner, open deals soonest first and
its newest engagement), the contacts among some emails (``crm.find_contacts``) and their recent
activity (``crm.contact_activity``).

Each sends the requests that do not wait on each other together, at most
:data:`~connectors.hubspot.together.IN_FLIGHT` at once, and asks for many objects in one
request where HubSpot lets it (``IN`` filters, ``batch/read``), so how many requests an
operation makes does not grow with how many contacts it is asked about. A record is the
company read, then its deals, its newest engagement of each kind and its owner at once (six
requests, and the owners not known yet). The activity of up to a hundred contacts is their
search, then one search per engagement kind for all of them, then each kind's companies and
contacts (v4 ``batch/read``) and the owners not known yet: thirteen requests at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from connectors import normalise
from connectors.demo.ops_base import AccountInput
from connectors.demo.ops_crm import ContactActivityInput, FindContactsInput
from connectors.errors import RecordNotFound
from connectors.hubspot.client import LARGEST_PAGE, SYSTEM, HubSpotClient
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
from connectors.hubspot.together import IN_FLIGHT, all_of, three
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

CONTACT_PROPERTIES: Final = ("email", "firstname", "lastname", "jobtitle", "associatedcompanyid")
IN_VALUES: Final = 100  # values in one IN filter


class Records:
    """The read handlers; owners are looked up once each for the connector's life."""

    def __init__(self, hubspot: HubSpotClient, owners: Owners, clock: Clock) -> None:
        self.hubspot, self.owners, self.clock = hubspot, owners, clock

    async def get_account(self, inp: AccountInput, ctx: CallContext) -> CrmLookup:
        company_id = inp.account.links.get(SYSTEM)
        if company_id is None:
            return CrmLookup()
        hubspot = self.hubspot.within(IN_FLIGHT)
        try:
            company = await hubspot.read("companies", company_id, COMPANY_PROPERTIES)
        except RecordNotFound:
            return CrmLookup()
        props = company["properties"]
        open_deals, newest, _ = await three(
            self._open_deals(hubspot, company_id),
            self._newest_engagement(hubspot, company_id),
            self.owners.load([props.get("hubspot_owner_id")], hubspot),
        )
        if newest is not None:
            await self.owners.load([newest[2]["properties"].get("hubspot_owner_id")], hubspot)
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
            "open_deals": open_deals,
            "last_activity": await self._activity(newest),
        }
        declared = CrmAccount.model_fields
        account = {k: v for k, v in fields.items() if k in declared}
        return CrmLookup(account=CrmAccount.model_validate(account))

    async def find_contacts(self, inp: FindContactsInput, ctx: CallContext) -> ContactProfiles:
        hubspot = self.hubspot.within(IN_FLIGHT)
        wanted = list(dict.fromkeys(normalise.email(e) for e in inp.emails))
        excluded = {normalise.email(e) for e in inp.exclude}
        found = {normalise.email(c["properties"].get("email")): c
                 for c in await self._contacts_by_email(hubspot, wanted)}  # fmt: skip
        chosen = [(e, found[e]) for e in wanted if e in found and e not in excluded]
        company_ids = [str(c["properties"].get("associatedcompanyid") or "") for _, c in chosen]
        companies = await hubspot.read_many(
            "companies", [i for i in company_ids if i], COMPANY_PROPERTIES
        )
        await self.owners.load(
            (c["properties"].get("hubspot_owner_id") for c in companies.values()), hubspot
        )
        profiles = []
        for (email, contact), company_id in zip(chosen, company_ids, strict=True):
            props = contact["properties"]
            if company_id not in companies:
                continue
            company = companies[company_id]["properties"]
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
        hubspot = self.hubspot.within(IN_FLIGHT)
        wanted = sorted({normalise.email(e) for e in inp.emails})
        since = self.clock.now().astimezone(UTC) - timedelta(days=inp.since_days)
        contacts = await self._contacts_by_email(hubspot, wanted)
        ids = [str(c["id"]) for c in contacts]
        if not ids:
            return ContactActivities(activities=[])
        kinds = list(ENGAGEMENTS.items())
        per_kind = await all_of(
            self._engagements_with(hubspot, object_type, body, ids, since)
            for _, (object_type, body, _, _) in kinds
        )
        await self.owners.load((raw["properties"].get("hubspot_owner_id")
                                for found, _, _ in per_kind for raw in found), hubspot)  # fmt: skip
        rows: list[ContactActivity] = []
        for contact in contacts:  # as HubSpot found the contacts, then kind by kind
            email = normalise.email(contact["properties"].get("email"))
            for (kind, (_, body, _, _)), (found, companies, people) in zip(
                kinds, per_kind, strict=True
            ):
                for raw in found:
                    if str(contact["id"]) not in people.get(str(raw["id"]), []):
                        continue
                    props = raw["properties"]
                    owner = (await self.owners.name_and_email(props.get("hubspot_owner_id")))[0]
                    rows.append(ContactActivity(
                        contact_email=email,
                        account_id=(companies.get(str(raw["id"])) or [""])[0],
                        at=moment(props.get("hs_timestamp")), kind=kind,
                        summary=str(props.get(body) or ""),
                        by=str(props.get(BY_PROPERTY) or owner),
                    ))  # fmt: skip
        rows.sort(key=lambda r: r.at, reverse=True)
        return ContactActivities(activities=rows)

    async def _contacts_by_email(
        self, hubspot: HubSpotClient, emails: list[str]
    ) -> list[dict[str, Any]]:
        """Contacts whose email is one of ``emails``, a hundred values a search."""
        chunks = [emails[s : s + IN_VALUES] for s in range(0, len(emails), IN_VALUES)]
        found = await all_of(
            hubspot.search("contacts", [{"propertyName": "email", "operator": "IN",
                                         "values": chunk}], CONTACT_PROPERTIES)
            for chunk in chunks
        )  # fmt: skip
        return [c for page in found for c in page]

    async def _engagements_with(
        self, hubspot: HubSpotClient, object_type: str, body: str, contact_ids: list[str],
        since: datetime,
    ) -> tuple[list[dict[str, Any]], dict[str, list[str]], dict[str, list[str]]]:  # fmt: skip
        """The engagements of one type with any of ``contact_ids`` since ``since``, newest
        first (one search for a hundred contacts), with the companies and the contacts each
        is associated with (by engagement id)."""
        chunks = [contact_ids[s : s + IN_VALUES] for s in range(0, len(contact_ids), IN_VALUES)]
        pages = await all_of(
            hubspot.search(
                object_type,
                [{"propertyName": "associations.contact", "operator": "IN", "values": chunk},
                 {"propertyName": "hs_timestamp", "operator": "GTE",
                  "value": hubspot_time(since)}],
                ["hs_timestamp", body, "hubspot_owner_id", BY_PROPERTY],
                sort=("hs_timestamp", "DESCENDING"),
                page=LARGEST_PAGE,
            )
            for chunk in chunks
        )  # fmt: skip
        found = list({str(r["id"]): r for page in pages for r in page}.values())
        if len(pages) > 1:  # several searches: newest first across them all
            found.sort(key=lambda r: moment(r["properties"].get("hs_timestamp")), reverse=True)
        if not found:
            return [], {}, {}
        ids = [str(r["id"]) for r in found]
        if len(contact_ids) == 1:  # one contact: each engagement found is theirs
            companies = await hubspot.associated(object_type, "companies", ids)
            return found, companies, {i: list(contact_ids) for i in ids}
        companies, people = await all_of(
            hubspot.associated(object_type, to, ids) for to in ("companies", "contacts")
        )
        return found, companies, people

    async def _open_deals(self, hubspot: HubSpotClient, company: str) -> list[Deal]:
        found = await hubspot.search(
            "deals",
            [eq("associations.company", company),
             {"propertyName": "dealstage", "operator": "NOT_IN", "values": list(CLOSED_STAGES)}],
            DEAL_PROPERTIES,
            sort=("closedate", "ASCENDING"),
        )  # fmt: skip
        deals = [deal(d) for d in found]
        return sorted(deals, key=lambda d: (d.close_date, d.id))

    async def _newest_engagement(
        self, hubspot: HubSpotClient, company: str
    ) -> tuple[datetime, Kind, dict[str, Any]] | None:
        """The newest engagement of any kind associated to the company (the first kind's,
        of two at the same moment)."""
        kinds = list(ENGAGEMENTS.items())
        found = await all_of(
            hubspot.search(
                object_type,
                [eq("associations.company", company)],
                ["hs_timestamp", body, "hubspot_owner_id", BY_PROPERTY],
                sort=("hs_timestamp", "DESCENDING"),
                limit=1,
            )
            for _, (object_type, body, _, _) in kinds
        )
        newest: tuple[datetime, Kind, dict[str, Any]] | None = None
        for (kind, _), first in zip(kinds, found, strict=True):
            if first:
                at = moment(first[0]["properties"].get("hs_timestamp"))
                if newest is None or at > newest[0]:
                    newest = (at, kind, first[0])
        return newest

    async def _activity(
        self, newest: tuple[datetime, Kind, dict[str, Any]] | None
    ) -> Activity | None:
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

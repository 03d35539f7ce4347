"""The ``crm.*`` operations over HubSpot, with the demo world's inputs and outputs so a plan
does not care which CRM is connected: an account's record (company, owner, open deals, last
engagement), logging an activity (an engagement associated to the company) and setting a
field, each write with its compensation.

HubSpot has no idempotency header, so a write carries its call's key in the custom property
``crosswire_idempotency_key`` and first searches for an object already carrying it: a retry
returns what the first attempt wrote (marked ``duplicate``) instead of logging twice. A field
update writes, in the same PATCH, ``crosswire_last_change`` on the company (its key and the
value it replaced), so a retried update still reports the value before it. (These custom
properties must exist in the portal: see the README.)

The project's lifecycle stages map onto HubSpot's (:data:`STAGE_TO_HUBSPOT`); engagements are
HubSpot's four activity objects, each with its own body property (:data:`ENGAGEMENTS`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from connectors import normalise
from connectors.demo.ops_base import (
    AccountInput,
    context_read_operation,
    record_id,
    write_operation,
)
from connectors.demo.ops_commercial import STAGES, UpdateFieldInput
from connectors.demo.ops_crm import ContactActivityInput, FindContactsInput
from connectors.demo.ops_lists_base import AccountIndex
from connectors.demo.ops_outreach import LogActivityInput
from connectors.errors import RecordNotFound
from connectors.hubspot.client import LABEL, SYSTEM, HubSpotClient
from connectors.hubspot.contacts import contact_search_operation
from connectors.hubspot.lists import list_operations
from connectors.hubspot.owners import Owners
from connectors.hubspot.properties import (
    CLOSED_STAGES,
    DEAL_PROPERTIES,
    STAGE_TO_HUBSPOT,
    day,
    deal,
    eq,
    hubspot_time,
    moment,
    stage,
)
from workflows.catalog import AnyOperation, CallContext, Risk
from workflows.clock import Clock
from workflows.domain import (
    AccountRef,
    Activity,
    ContactActivities,
    ContactActivity,
    ContactProfile,
    ContactProfiles,
    CrmAccount,
    CrmLookup,
    Deal,
    FieldChange,
    LoggedActivity,
    Undone,
)
from workflows.errors import PermanentOperationError

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

Kind = Literal["call", "email", "meeting", "note"]

KEY_PROPERTY: Final = "crosswire_idempotency_key"
BY_PROPERTY: Final = "crosswire_logged_by"  # who asked, when they are not a HubSpot owner
CHANGE_PROPERTY: Final = "crosswire_last_change"  # on companies: {"key": …, "previous": …}
# kind -> (object type, body property, association type id to a company, to a contact)
ENGAGEMENTS: Final[dict[Kind, tuple[str, str, int, int]]] = {
    "note": ("notes", "hs_note_body", 190, 202),
    "call": ("calls", "hs_call_body", 182, 194),
    "email": ("emails", "hs_email_text", 186, 198),
    "meeting": ("meetings", "hs_meeting_body", 188, 200),
}
FIELD_PROPERTY: Final = {"lifecycle_stage": "lifecyclestage", "industry": "industry"}
COMPANY_PROPERTIES: Final = (
    "name", "industry", "lifecyclestage", "hubspot_owner_id", "phone", "renewal_date",
)  # fmt: skip


def hubspot_operations(
    hubspot: HubSpotClient, directory: IdentityDirectory, clock: Clock
) -> list[AnyOperation]:
    """``crm.get_account``, ``crm.find_contacts``, ``crm.contact_activity``, the lists
    (``crm.list_accounts``, ``crm.deals_closing``, ``crm.search_contacts``),
    ``crm.log_activity``, ``crm.update_field`` and their undos, as the demo world declares
    them."""
    index, owners = AccountIndex(directory), Owners(hubspot)
    ops = _Crm(hubspot, index, owners, clock)
    return [
        context_read_operation(
            "crm.get_account",
            "CRM record of a customer account: owner, lifecycle stage, open deals "
            "(soonest close first) and the last logged activity.",
            (AccountInput, CrmLookup),
            ops.get_account,
            None,
        ),
        context_read_operation(
            "crm.find_contacts",
            "CRM contacts among `emails` (minus `exclude`), with title, company, its "
            "lifecycle stage and owner; optionally only accounts `owner_email` owns, or in one "
            "`lifecycle_stage`. `emails` lists the matches in order.",
            (FindContactsInput, ContactProfiles),
            ops.find_contacts,
            None,
        ),
        context_read_operation(
            "crm.contact_activity",
            "CRM activities (calls, emails, meetings, notes) with any of `emails` in the last "
            "`since_days` days, newest first.",
            (ContactActivityInput, ContactActivities),
            ops.contact_activity,
            None,
        ),
        *list_operations(hubspot, index, owners, clock),
        contact_search_operation(hubspot, index),
        write_operation(
            "crm.log_activity",
            "Log an activity (call, email, meeting, note) with a contact on a CRM account.",
            (LogActivityInput, LoggedActivity),
            ops.log_activity,
            None,
            risk=Risk.LOW,
            undo="crm.remove_activity",
        ),
        write_operation(
            "crm.remove_activity",
            "Remove an activity logged by crm.log_activity (its compensation).",
            (LoggedActivity, Undone),
            ops.remove_activity,
            None,
            risk=Risk.LOW,
        ),
        write_operation(
            "crm.update_field",
            "Set a field of a CRM account (lifecycle_stage: prospect, customer or churned; "
            "industry); the previous value is kept so it can be restored.",
            (UpdateFieldInput, FieldChange),
            ops.update_field,
            None,
            risk=Risk.MEDIUM,
            undo="crm.restore_field",
        ),
        write_operation(
            "crm.restore_field",
            "Put back the value a crm.update_field replaced (its compensation).",
            (FieldChange, Undone),
            ops.restore_field,
            None,
            risk=Risk.MEDIUM,
        ),
    ]


class _Crm:
    def __init__(
        self, hubspot: HubSpotClient, index: AccountIndex, owners: Owners, clock: Clock
    ) -> None:
        self.hubspot, self.index, self.owners, self.clock = hubspot, index, owners, clock

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

    async def log_activity(self, inp: LogActivityInput, ctx: CallContext) -> LoggedActivity:
        company = self._company(inp.account_id)
        kind, body_property, to_company, to_contact = ENGAGEMENTS[inp.kind]
        key = ctx.idempotency_key
        earlier = await self.hubspot.search(
            kind, [eq(KEY_PROPERTY, key)], ["hs_timestamp", body_property], limit=1
        )
        if earlier:
            return _logged(inp, earlier[0], duplicate=True)
        await self._known(company, inp.account_id)
        properties = {
            "hs_timestamp": hubspot_time(self.clock.now()),
            body_property: inp.summary,
            KEY_PROPERTY: key,
        }
        owner = await self.owners.id_of(ctx.requester_email)
        if owner is not None:
            properties["hubspot_owner_id"] = owner
        else:
            properties[BY_PROPERTY] = ctx.requester_email
        associations = [_association(company, to_company)]
        contact = await self._contact(inp.contact_email)
        if contact is not None:
            associations.append(_association(contact, to_contact))
        created = await self.hubspot.post(
            f"/crm/v3/objects/{kind}", {"properties": properties, "associations": associations}
        )
        return _logged(inp, created)

    async def remove_activity(self, inp: LoggedActivity, ctx: CallContext) -> Undone:
        kind = ENGAGEMENTS[inp.kind][0]
        object_id = inp.activity_id.removeprefix(f"{kind}-")
        try:
            await self.hubspot.read(kind, object_id, ["hs_timestamp"])
        except RecordNotFound:
            return Undone(of=inp.activity_id, undone=False)
        await self.hubspot.delete(f"/crm/v3/objects/{kind}/{object_id}")
        return Undone(of=inp.activity_id, undone=True)

    async def update_field(self, inp: UpdateFieldInput, ctx: CallContext) -> FieldChange:
        if inp.field == "lifecycle_stage" and inp.value not in STAGES:
            raise PermanentOperationError(
                f"lifecycle_stage must be one of {', '.join(STAGES)}, not {inp.value!r}",
                system=SYSTEM,
            )
        company = self._company(inp.account_id)
        key = ctx.idempotency_key
        current = await self._read(
            company, inp.account_id, [FIELD_PROPERTY[inp.field], CHANGE_PROPERTY]
        )
        earlier = _change_of(current.get(CHANGE_PROPERTY))
        if earlier.get("key") == key:  # this very call already landed: say what it replaced
            return FieldChange(change_id=record_id("chg", ctx), previous=str(earlier["previous"]),
                               duplicate=True, **inp.model_dump())  # fmt: skip
        previous = _value(inp.field, current.get(FIELD_PROPERTY[inp.field]))
        change = json.dumps({"key": key, "previous": previous})
        await self._set(company, inp.field, inp.value, {CHANGE_PROPERTY: change})
        return FieldChange(change_id=record_id("chg", ctx), previous=previous, **inp.model_dump())

    async def restore_field(self, inp: FieldChange, ctx: CallContext) -> Undone:
        company = self._company(inp.account_id)
        try:
            await self._field(company, inp.account_id, inp.field)
        except RecordNotFound:
            return Undone(of=inp.change_id, undone=False)
        await self._set(company, inp.field, inp.previous)
        return Undone(of=inp.change_id, undone=True)

    async def _field(self, company: str, account_id: str, field: str) -> str:
        found = await self._read(company, account_id, [FIELD_PROPERTY[field]])
        return _value(field, found.get(FIELD_PROPERTY[field]))

    async def _read(self, company: str, account_id: str, properties: list[str]) -> dict[str, Any]:
        """A company's ``properties``; a company HubSpot does not have is an unknown account."""
        try:
            found = await self.hubspot.read("companies", company, properties)
        except RecordNotFound:
            raise RecordNotFound(
                f"there is no customer account {account_id!r}", system=SYSTEM
            ) from None
        return dict(found["properties"])

    async def _set(
        self, company: str, field: str, value: str, also: dict[str, str] | None = None
    ) -> None:
        stored = STAGE_TO_HUBSPOT[value] if field == "lifecycle_stage" else value
        await self.hubspot.patch(
            f"/crm/v3/objects/companies/{company}",
            {"properties": {FIELD_PROPERTY[field]: stored, **(also or {})}},
        )

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

    async def _contact(self, email: str) -> str | None:
        found = await self.hubspot.search("contacts", [eq("email", email)], ["email"], limit=1)
        return str(found[0]["id"]) if found else None

    async def _known(self, company: str, account_id: str) -> None:
        await self._field(company, account_id, "industry")

    def _company(self, account_id: str) -> str:
        account: AccountRef | None = self.index.by_id().get(account_id.strip())
        if account is None:
            raise RecordNotFound(f"there is no customer account {account_id!r}", system=SYSTEM)
        company = account.links.get(SYSTEM)
        if company is None:
            raise PermanentOperationError(
                f"account {account_id!r} has no company in {LABEL}", system=SYSTEM
            )
        return company


def _association(to: str, type_id: int) -> dict[str, Any]:
    kind = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
    return {"to": {"id": to}, "types": [kind]}


def _logged(inp: LogActivityInput, raw: Any, *, duplicate: bool = False) -> LoggedActivity:
    if not isinstance(raw, dict) or "id" not in raw:
        raise PermanentOperationError(f"{LABEL} answered a write without its id", system=SYSTEM)
    kind = ENGAGEMENTS[inp.kind][0]
    at = moment((raw.get("properties") or {}).get("hs_timestamp"))
    return LoggedActivity(activity_id=f"{kind}-{raw['id']}", at=at, duplicate=duplicate,
                          **inp.model_dump())  # fmt: skip


def _value(field: str, value: object) -> str:
    return stage(value) if field == "lifecycle_stage" else str(value or "")


def _change_of(value: object) -> dict[str, Any]:
    """The last field change this connector wrote on a company (its key and what it replaced)."""
    try:
        found = json.loads(str(value)) if value else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}

"""The ``crm.*`` operations over HubSpot, with the demo world's inputs and outputs so a plan
does not care which CRM is connected: the records of one customer
(:mod:`connectors.hubspot.records`), the lists (:mod:`connectors.hubspot.lists`,
:mod:`connectors.hubspot.contacts`), and here the writes: logging an activity (an engagement
associated to the company) and setting a field, each with its compensation.

HubSpot has no idempotency header, so a write carries its call's key in the custom property
``crosswire_idempotency_key`` and first searches for an object already carrying it: a retry
returns what the first attempt wrote (marked ``duplicate``) instead of logging twice. A field
update writes, in the same PATCH, ``crosswire_last_change`` on the company (its key and the
value it replaced), so a retried update still reports the value before it. (These custom
properties must exist in the portal: see the README.)

The project's lifecycle stages map onto HubSpot's; engagements are HubSpot's four activity
objects, each with its own body property (:mod:`connectors.hubspot.properties`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

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
    BY_PROPERTY,
    CHANGE_PROPERTY,
    ENGAGEMENTS,
    KEY_PROPERTY,
    STAGE_TO_HUBSPOT,
    eq,
    hubspot_time,
    moment,
    stage,
)
from connectors.hubspot.records import Records
from workflows.catalog import AnyOperation, CallContext, Risk
from workflows.clock import Clock
from workflows.domain import (
    AccountRef,
    ContactActivities,
    ContactProfiles,
    CrmLookup,
    FieldChange,
    LoggedActivity,
    Undone,
)
from workflows.errors import PermanentOperationError

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

FIELD_PROPERTY: Final = {"lifecycle_stage": "lifecyclestage", "industry": "industry"}


def hubspot_operations(
    hubspot: HubSpotClient, directory: IdentityDirectory, clock: Clock
) -> list[AnyOperation]:
    """``crm.get_account``, ``crm.find_contacts``, ``crm.contact_activity``, the lists
    (``crm.list_accounts``, ``crm.deals_closing``, ``crm.search_contacts``),
    ``crm.log_activity``, ``crm.update_field`` and their undos, as the demo world declares
    them."""
    index, owners = AccountIndex(directory), Owners(hubspot)
    ops, records = _Crm(hubspot, index, owners, clock), Records(hubspot, owners, clock)
    return [
        context_read_operation(
            "crm.get_account",
            "CRM record of a customer account: owner, lifecycle stage, open deals "
            "(soonest close first) and the last logged activity.",
            (AccountInput, CrmLookup),
            records.get_account,
            None,
        ),
        context_read_operation(
            "crm.find_contacts",
            "CRM contacts among `emails` (minus `exclude`), with title, company, its "
            "lifecycle stage and owner; optionally only accounts `owner_email` owns, or in one "
            "`lifecycle_stage`. `emails` lists the matches in order.",
            (FindContactsInput, ContactProfiles),
            records.find_contacts,
            None,
        ),
        context_read_operation(
            "crm.contact_activity",
            "CRM activities (calls, emails, meetings, notes) with any of `emails` in the last "
            "`since_days` days, newest first.",
            (ContactActivityInput, ContactActivities),
            records.contact_activity,
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

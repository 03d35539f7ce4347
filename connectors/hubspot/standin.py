"""A local server that speaks HubSpot's CRM v3 API, as much as the CRM connector uses, for tests
and drills: nothing reaches the internet.

It holds owners, companies, contacts, deals and engagements (notes, calls, emails, meetings),
seeded from the demo world's CRM with the same company, contact and deal ids so the identity
layer's links hold (:meth:`HubSpotStandIn.seed_from`). It answers as HubSpot does: objects with
``properties`` (strings; times in ISO 8601 UTC, dates ``YYYY-MM-DD``), one at a time or by
``batch/read``; searches with filter groups (``EQ``, ``NEQ``, ``IN``, ``NOT_IN``, ``LT``,
``LTE``, ``GT``, ``GTE``, ``BETWEEN`` with ``highValue``, ``CONTAINS_TOKEN`` with ``*``
wildcards, ``HAS_PROPERTY``, ``NOT_HAS_PROPERTY`` and the ``associations.{type}``
pseudo-property; dates and times compared as Unix milliseconds), at most five groups of six
filters and eighteen in all, one sort, ``after`` paging up to 200 a page and 10,000 results;
v4 association reads (one object's, or ``batch/read``; a batch answers 207 with ``errors``
beside the ``results`` for the inputs it has nothing for, and refuses more inputs than HubSpot
takes); creates with associations; PATCH;
DELETE archives (then 404). It checks the Bearer token (401 ``INVALID_AUTHENTICATION``),
sends the ``X-HubSpot-RateLimit-*`` headers, and misbehaves on request
(:meth:`~connectors.standin.StandIn.script`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import select

from connectors.demo.schema import (
    contracts,
    crm_accounts,
    crm_activities,
    crm_contacts,
    crm_deals,
    crm_users,
)
from connectors.demo.store import DemoWorld
from connectors.hubspot.standin_search import MAX_RESULTS, comparable, matches, refused
from connectors.resolution.normalise import company_name
from connectors.standin import Answer, Misbehaviour, Seen, StandIn
from workflows.clock import SystemClock

DEFAULT_TOKEN: Final = "pat-na1-standin-6f1c1f7e-3b9a-4c55-9d1e-0a5c1e2f3d4b"
STAGE_TO_HUBSPOT: Final = {"prospect": "opportunity", "customer": "customer", "churned": "other"}
ENGAGEMENT_BODY: Final = {
    "note": ("notes", "hs_note_body"), "call": ("calls", "hs_call_body"),
    "email": ("emails", "hs_email_text"), "meeting": ("meetings", "hs_meeting_body"),
}  # fmt: skip
TYPES: Final = ("companies", "contacts", "deals", "notes", "calls", "emails", "meetings")
# association type id -> the object type it points at (HubSpot-defined ids)
ASSOCIATION_TARGETS: Final = {190: "companies", 182: "companies", 186: "companies",
                              188: "companies", 202: "contacts", 194: "contacts",
                              198: "contacts", 200: "contacts"}  # fmt: skip
WINDOW: Final = 100  # requests per 10 seconds, as a private app on a Starter account
BATCH_INPUTS: Final = 100  # inputs in one v3 batch read
ASSOCIATION_INPUTS: Final = 1_000  # inputs in one v4 association batch read
PRIMARY_COMPANY: Final = {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"}


def throttled(retry_after: str = "1") -> Misbehaviour:
    body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}  # fmt: skip
    return Misbehaviour(429, json.dumps(body).encode(), {"Retry-After": retry_after})


def garbage() -> Misbehaviour:
    return Misbehaviour(200, b'{"total": 3, "results": [{"id": "1", "prop')


def iso(moment: datetime | date) -> str:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HubSpotStandIn(StandIn):
    """HubSpot's CRM objects on ``127.0.0.1``."""

    def __init__(self, *, access_token: str = DEFAULT_TOKEN, latency_s: float = 0.0) -> None:
        super().__init__(latency_s=latency_s)
        self.access_token = access_token
        self.owners: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TYPES}
        self._next_id = 90_000_000

    async def seed_from(self, world: DemoWorld) -> HubSpotStandIn:
        """The demo world's CRM: its users as owners, its accounts as companies, with ids."""
        async with world.read() as read:
            users = (await read.conn.execute(select(crm_users))).mappings().all()
            accounts = (await read.conn.execute(select(crm_accounts))).mappings().all()
            contacts = (await read.conn.execute(select(crm_contacts))).mappings().all()
            deals = (await read.conn.execute(select(crm_deals))).mappings().all()
            activities = (await read.conn.execute(select(crm_activities))).mappings().all()
            terms = (await read.conn.execute(select(contracts))).mappings().all()
        # The value of each customer's contract, kept on its company as portals often do.
        values = {company_name(str(t["customer_name"])): t["annual_value"] for t in terms}
        for n, u in enumerate(users, start=1):
            first, _, last = str(u["name"]).partition(" ")
            self.owners[str(n)] = {"id": str(n), "email": u["email"], "firstName": first,
                                   "lastName": last, "archived": False}  # fmt: skip
        for a in accounts:
            self.add("companies", str(a["id"]), {
                "name": a["name"], "domain": a["domain"], "industry": a["industry"],
                "lifecyclestage": STAGE_TO_HUBSPOT[str(a["lifecycle_stage"])],
                "hubspot_owner_id": self.owner_id(str(a["owner_email"])),
                "phone": a.get("phone"), "renewal_date": _date(a.get("renewal_date")),
                "annual_value": values.get(company_name(str(a["name"]))),
            })  # fmt: skip
        for c in contacts:
            first, _, last = str(c["name"]).partition(" ")
            self.add("contacts", str(c["id"]), {"email": c["email"], "firstname": first,
                     "lastname": last, "jobtitle": c["title"],
                     "associatedcompanyid": c["account_id"]},
                     companies=[str(c["account_id"])])  # fmt: skip
        for d in deals:
            self.add("deals", str(d["id"]), {
                "dealname": d["name"], "amount": repr(float(d["amount"])), "dealstage": d["stage"],
                "closedate": iso(d["close_date"]), "deal_currency_code": "USD",
            }, companies=[str(d["account_id"])])  # fmt: skip
        emails = {str(c["email"]).lower(): str(c["id"]) for c in contacts}
        for act in activities:
            kind, body = ENGAGEMENT_BODY[str(act["kind"])]
            owner = self.owner_id(str(act["by_email"]))
            props = {"hs_timestamp": iso(act["at"]), body: act["summary"]}
            props |= {"hubspot_owner_id": owner} if owner else {
                "crosswire_logged_by": act["by_email"]}  # fmt: skip
            contact = emails.get(str(act["contact_email"] or "").lower())
            self.add(kind, str(act["id"]), props, companies=[str(act["account_id"])],
                     contacts=[contact] if contact else [])  # fmt: skip
        return self

    def owner_id(self, email: str) -> str | None:
        for owner in self.owners.values():
            if str(owner["email"]).lower() == email.lower():
                return str(owner["id"])
        return None

    def add(
        self, kind: str, object_id: str, properties: Mapping[str, Any],
        *, companies: Sequence[str] = (), contacts: Sequence[str] = (),
    ) -> dict[str, Any]:  # fmt: skip
        stamp = iso(SystemClock().now())
        record = {
            "id": object_id,
            "properties": {k: None if v is None else str(v) for k, v in properties.items()}
            | {"hs_object_id": object_id, "createdate": stamp},
            "createdAt": stamp, "updatedAt": stamp, "archived": False,
            "associations": {"companies": set(companies), "contacts": set(contacts)},
        }  # fmt: skip
        self.objects[kind][object_id] = record
        return record

    def engagements(self, kind: str) -> list[dict[str, Any]]:
        """The live engagements of one object type (``"notes"``), for tests to count."""
        return [o for o in self.objects[kind].values() if not o["archived"]]

    def authorised(self, seen: Seen) -> Answer | None:
        if seen.headers.get("authorization") == f"Bearer {self.access_token}":
            return None
        return 401, {
            "status": "error", "category": "INVALID_AUTHENTICATION",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 "
                       "authentication and you can find more details at "
                       "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        }  # fmt: skip

    def headers_for(self, seen: Seen) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(WINDOW),
            "X-HubSpot-RateLimit-Remaining": str(max(0, WINDOW - len(self.seen) % WINDOW)),
            "X-HubSpot-RateLimit-Daily": "250000",
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, 250_000 - len(self.seen))),
        }

    def route(self, seen: Seen) -> Answer:
        parts = [p for p in seen.path.split("/") if p]
        match seen.method, parts:
            case "GET", ["crm", "v3", "owners"]:
                email = seen.query.get("email", "").lower()
                owners = [o for o in self.owners.values() if not email or o["email"] == email]
                return 200, {"results": owners[: int(seen.query.get("limit", "100"))]}
            case "GET", ["crm", "v3", "owners", owner]:
                if owner not in self.owners:
                    return _missing(f"Owner {owner} does not exist")
                return 200, self.owners[owner]
            case "GET", ["crm", "v3", "objects", kind] if kind in TYPES:
                live = [o for o in self.objects[kind].values() if not o["archived"]]
                limit = int(seen.query.get("limit", "10"))
                return 200, {"results": [self._shown(o, None) for o in live[:limit]]}
            case "GET", ["crm", "v4", "objects", kind, oid, "associations", to] if kind in TYPES:
                found = self._live(kind, oid)
                if found is None:
                    return _missing(f"Object not found.  objectId are usually numeric. ({oid})")
                linked = sorted(found["associations"].get(to, set()))
                return 200, {"results": [{"toObjectId": i, "associationTypes": []}
                                         for i in linked]}  # fmt: skip
            case "POST", ["crm", "v3", "objects", kind, "search"] if kind in TYPES:
                return self._search(kind, seen.body or {})
            case "POST", ["crm", "v3", "objects", kind, "batch", "read"] if kind in TYPES:
                return self._read_many(kind, seen.body or {})
            case "POST", ["crm", "v4", "associations", kind, to, "batch", "read"] if kind in TYPES:
                return self._associations(kind, to, seen.body or {})
            case "POST", ["crm", "v3", "objects", kind] if kind in TYPES:
                return self._create(kind, seen.body or {})
            case "GET", ["crm", "v3", "objects", kind, oid] if kind in TYPES:
                found = self._live(kind, oid)
                if found is None:
                    return _missing(f"Object not found.  objectId are usually numeric. ({oid})")
                wanted = [p for p in seen.query.get("properties", "").split(",") if p]
                return 200, self._shown(found, wanted)
            case "PATCH", ["crm", "v3", "objects", kind, oid] if kind in TYPES:
                found = self._live(kind, oid)
                if found is None:
                    return _missing(f"Object not found.  objectId are usually numeric. ({oid})")
                props = (seen.body or {}).get("properties") or {}
                found["properties"] |= {k: str(v) for k, v in props.items()}
                return 200, self._shown(found, list(props))
            case "DELETE", ["crm", "v3", "objects", kind, oid] if kind in TYPES:
                found = self._live(kind, oid)
                if found is not None:
                    found["archived"] = True
                return 204, None
        return _missing(f"Unknown route {seen.method} {seen.path}")

    def _live(self, kind: str, oid: str) -> dict[str, Any] | None:
        found = self.objects[kind].get(oid)
        return None if found is None or found["archived"] else found

    def _shown(self, record: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
        props = record["properties"]
        keys = set(wanted or ()) | {"hs_object_id", "createdate"}
        shown = {k: props.get(k) for k in keys} if wanted is not None else dict(props)
        return {"id": record["id"], "properties": shown, "createdAt": record["createdAt"],
                "updatedAt": record["updatedAt"], "archived": False}  # fmt: skip

    def _search(self, kind: str, body: Mapping[str, Any]) -> Answer:
        groups = body.get("filterGroups") or [{"filters": []}]
        problem = refused(groups, body)
        if problem is not None:
            return 400, {"status": "error", "category": "VALIDATION_ERROR", "message": problem}
        live = [o for o in self.objects[kind].values() if not o["archived"]]
        found = [o for o in live if any(all(matches(o, f) for f in g.get("filters", []))
                                        for g in groups)]  # fmt: skip
        for sort in (body.get("sorts") or [])[:1]:
            name = sort["propertyName"]
            found.sort(key=lambda o: comparable(o["properties"].get(name)),
                       reverse=sort.get("direction") == "DESCENDING")  # fmt: skip
        start = int(body.get("after") or 0)
        limit = int(body.get("limit") or 10)
        end = min(start + limit, len(found), MAX_RESULTS)
        answer: dict[str, Any] = {"total": len(found),
                                  "results": [self._shown(o, list(body.get("properties") or []))
                                              for o in found[start:end]]}  # fmt: skip
        if end < min(len(found), MAX_RESULTS):
            answer["paging"] = {"next": {"after": str(end)}}
        return 200, answer

    def _read_many(self, kind: str, body: Mapping[str, Any]) -> Answer:
        wanted = [str(i.get("id")) for i in body.get("inputs") or []]
        if len(wanted) > BATCH_INPUTS:
            return _too_many(len(wanted))
        found = [self._live(kind, i) for i in wanted]
        results = [self._shown(o, list(body.get("properties") or [])) for o in found if o]
        missing = [i for i, o in zip(wanted, found, strict=True) if o is None]
        errors = [] if not missing else [{
            "status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing},
            "message": "Could not get some objects, they may be deleted or not exist.",
        }]  # fmt: skip
        return _batch(results, errors)

    def _associations(self, kind: str, to: str, body: Mapping[str, Any]) -> Answer:
        """v4 ``batch/read``: each input's associated objects (the first company labelled
        Primary); an input with none, or that does not exist, is among the ``errors``."""
        wanted = [str(i.get("id")) for i in body.get("inputs") or []]
        if len(wanted) > ASSOCIATION_INPUTS:
            return _too_many(len(wanted))
        results, errors = [], []
        for oid in wanted:
            found = self._live(kind, oid)
            linked = sorted(found["associations"].get(to, set())) if found else []
            if not linked:
                errors.append({
                    "status": "error", "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "context": {"fromObjectId": [oid]},
                    "message": f"No {to} is associated with {kind} {oid}.",
                })  # fmt: skip
                continue
            types = [[PRIMARY_COMPANY] if n == 0 and to == "companies" else []
                     for n in range(len(linked))]  # fmt: skip
            results.append({"from": {"id": oid}, "to": [
                {"toObjectId": int(i) if i.isdigit() else i, "associationTypes": t}
                for i, t in zip(linked, types, strict=True)]})  # fmt: skip
        return _batch(results, errors)

    def _create(self, kind: str, body: Mapping[str, Any]) -> Answer:
        self._next_id += 1
        companies: list[str] = []
        contacts: list[str] = []
        for a in body.get("associations") or []:
            target = ASSOCIATION_TARGETS.get(int(a["types"][0]["associationTypeId"]))
            to = str(a["to"]["id"])
            if target is None or self._live(target, to) is None:
                return 400, {"status": "error", "category": "VALIDATION_ERROR",
                             "message": f"association to {to} is not valid"}  # fmt: skip
            (companies if target == "companies" else contacts).append(to)
        record = self.add(kind, str(self._next_id), body.get("properties") or {},
                          companies=companies, contacts=contacts)  # fmt: skip
        return 201, self._shown(record, None)


def _date(value: object) -> str | None:
    """A date property as HubSpot answers it: ``YYYY-MM-DD``."""
    return value.isoformat() if isinstance(value, date) else None


def _batch(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> Answer:
    """A batch's answer as HubSpot gives it: 200 when every input was answered, else 207
    with the ``errors`` beside the ``results``."""
    stamp = iso(SystemClock().now())
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                              "startedAt": stamp, "completedAt": stamp}  # fmt: skip
    if not errors:
        return 200, answer
    return 207, answer | {"numErrors": len(errors), "errors": errors}


def _too_many(count: int) -> Answer:
    return 400, {"status": "error", "category": "VALIDATION_ERROR",
                 "message": f"Batch input of {count} is more than the limit"}  # fmt: skip


def _missing(message: str) -> Answer:
    return 404, {"status": "error", "category": "OBJECT_NOT_FOUND", "message": message}


__all__ = ["DEFAULT_TOKEN", "HubSpotStandIn", "garbage", "iso", "throttled"]

"""The demo world as an identity source: its systems' people and company records, each as the
system spells it, for the identity graph (what :class:`~connectors.demo.DemoWorld`'s
``records`` and ``changed_since`` answer, an :class:`~connectors.graph.IdentitySource`).

The demo tables carry no change log, so a cursor holds a digest of each system's records:
:func:`demo_changes` lists in full the systems whose digest moved (a rebuild for a new day
changes dates only, never a record the graph reads).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Final, Protocol

from sqlalchemy import Table, select

from connectors.demo import schema
from connectors.demo.spelling import tenant_slug
from connectors.graph.source import SourceChanges, SourceRecord, SourceSnapshot
from connectors.resolution import Record
from workflows.domain import Employee

ACCOUNT_SYSTEM: Final = "crm"
EMPLOYEES: Final = "employees"

if TYPE_CHECKING:
    from connectors.demo.store import DemoRead


class Readable(Protocol):
    def read(self) -> AbstractAsyncContextManager[DemoRead]: ...


async def demo_records(world: Readable) -> SourceSnapshot:
    """The records of the demo world's CRM, mailbox, support desk, contracts, usage and
    billing, and Northwind's employees."""
    async with world.read() as read:
        employees = await _employees(read)
        records = await _records(read, {e.email.lower() for e in employees})
    return SourceSnapshot(
        records=tuple(records),
        employees=tuple(employees),
        account_system=ACCOUNT_SYSTEM,
        cursor=_cursor(records, employees),
    )


async def demo_changes(world: Readable, cursor: str) -> SourceChanges:
    """The systems whose records moved since ``cursor``, each listed in full."""
    now = await demo_records(world)
    before: dict[str, str] = json.loads(cursor) if cursor.startswith("{") else {}
    after: dict[str, str] = json.loads(now.cursor)
    moved = {s for s in after.keys() | before.keys() if after.get(s) != before.get(s)}
    return SourceChanges(
        records=tuple(r for r in now.records if r.record.system in moved),
        complete=frozenset(moved - {EMPLOYEES}),
        employees=now.employees if EMPLOYEES in moved else None,
        cursor=now.cursor,
    )


def _cursor(records: Sequence[SourceRecord], employees: Sequence[Employee]) -> str:
    digests: dict[str, hashlib._Hash] = {}
    for r in records:
        digests.setdefault(r.record.system, hashlib.sha256()).update(r.dumped())
    staff = hashlib.sha256()
    for e in employees:
        staff.update(e.model_dump_json().encode())
    out = {s: d.hexdigest()[:24] for s, d in sorted(digests.items())}
    return json.dumps(out | {EMPLOYEES: staff.hexdigest()[:24]}, sort_keys=True)


async def _employees(read: DemoRead) -> list[Employee]:
    rows = (await read.conn.execute(select(schema.crm_users))).mappings().all()
    return [Employee.model_validate(dict(r)) for r in rows]


async def _rows(read: DemoRead, table: Table) -> list[dict[str, object]]:
    query = select(table).order_by(*table.primary_key.columns)
    return [dict(r) for r in (await read.conn.execute(query)).mappings().all()]


async def _records(read: DemoRead, staff: set[str]) -> list[SourceRecord]:
    accounts = await _rows(read, schema.crm_accounts)
    out = [_account(a) for a in accounts]
    names = {str(a["id"]): str(a["name"]) for a in accounts}
    out += [_contact(c, names) for c in await _rows(read, schema.crm_contacts)]
    orgs = await _rows(read, schema.support_orgs)
    out += [_company("support", o["id"], o["name"]) for o in orgs]
    out += _requesters(await _rows(read, schema.support_tickets), staff)
    contracts = await _rows(read, schema.contracts)
    out += [_company("contracts", c["id"], c["customer_name"]) for c in contracts]
    billing = await _rows(read, schema.billing_customers)
    out += [_company("billing", b["id"], b["name"]) for b in billing]
    threads = await _rows(read, schema.mail_threads)
    out += _mailbox((str(p) for t in threads for p in _list(t["participants"])), staff)
    tenants = await read.conn.scalars(select(schema.usage_daily.c.tenant).distinct())
    domains = {str(a["domain"]) for a in accounts} | {r.record.domain or "" for r in out}
    out += _tenants(sorted(set(tenants)), domains)
    return out


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _account(row: dict[str, object]) -> SourceRecord:
    record = Record(
        system=ACCOUNT_SYSTEM,
        record_id=str(row["id"]),
        kind="company",
        name=str(row["name"]),
        domain=str(row["domain"]),
    )
    return SourceRecord(record=record, owner=str(row["owner_email"]).lower())


def _contact(row: dict[str, object], accounts: dict[str, str]) -> SourceRecord:
    account = str(row["account_id"])
    record = Record(
        system=ACCOUNT_SYSTEM,
        record_id=str(row["id"]),
        kind="person",
        name=str(row["name"]),
        email=str(row["email"]).lower(),
        company_name=accounts.get(account),
    )
    return SourceRecord(record=record, parent=(ACCOUNT_SYSTEM, account))


def _company(system: str, record_id: object, name: object) -> SourceRecord:
    record = Record(system=system, record_id=str(record_id), kind="company", name=str(name))
    return SourceRecord(record=record)


def _requesters(tickets: Iterable[dict[str, object]], staff: set[str]) -> list[SourceRecord]:
    """Ticket requesters: the support desk knows a person by an email address only."""
    seen: dict[str, str] = {}
    for t in tickets:
        email = str(t["requester_email"]).lower()
        if email not in staff:
            seen.setdefault(email, str(t["org_id"]))
    return [_email_person("support", e, ("support", org)) for e, org in sorted(seen.items())]


def _mailbox(addresses: Iterable[str], staff: set[str]) -> list[SourceRecord]:
    """The mailbox knows companies by their domains and people by their addresses."""
    people = sorted({a.lower() for a in addresses} - staff)
    domains = sorted({a.rpartition("@")[2] for a in people})
    out = [
        SourceRecord(record=Record(system="email", record_id=d, kind="company", domain=d))
        for d in domains
    ]
    out += [_email_person("email", a, ("email", a.rpartition("@")[2])) for a in people]
    return out


def _email_person(system: str, email: str, parent: tuple[str, str]) -> SourceRecord:
    record = Record(system=system, record_id=email, kind="person", email=email)
    return SourceRecord(record=record, parent=parent)


def _tenants(tenants: Sequence[str], domains: set[str]) -> list[SourceRecord]:
    """Usage tenants are named after the customer's domain (``acme-io``)."""
    by_slug = {tenant_slug(d): d for d in domains if d}
    return [
        SourceRecord(
            record=Record(
                system="usage",
                record_id=t,
                kind="company",
                domain=by_slug.get(t, t.replace("-", ".")),
            )
        )
        for t in tenants
    ]

"""Acme Corporation's story: a customer at risk two weeks before renewal.

Dana Reyes owns it. An $84,000 expansion is in flight, but a P1 has been open for nine days,
usage has dropped by about a third, an invoice is overdue and the contract renews in 14 days.
Dana meets Acme within the next four hours, whenever the world is read (a rolling recurring
meeting, see :mod:`connectors.demo.calendar`). Every row here is written by hand so that the
demo script and the tests can quote it; only usage noise is drawn from the seeded generator.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from connectors.demo.companies import Company, Row, Rows, at, employees
from connectors.demo.disagreements import support_phone
from connectors.demo.gen_crm import deal_team_rows
from connectors.demo.gen_service import daily_users, invoice
from connectors.demo.spelling import ACME_SPELLINGS, tenant_slug

ACME_SUPPORT_ORG = "org-1042"
ACME_BILLING_ID = "cus_7f3a9c21e4"
ACME_CONTRACT_ID = "CTR-ACME-0001"
STORY_PERIOD_MINUTES = 240  # Dana's rolling meetings recur every four hours


def _support_org(acme: Company) -> Row:
    return {"id": ACME_SUPPORT_ORG, "name": ACME_SPELLINGS["support"], "phone": support_phone(acme)}


def story_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Every system's rows for Acme, plus Dana's meetings in the next few hours."""
    acme = companies[0]
    deals = _deals(acme, today)
    return {
        "crm_deals": deals,
        "crm_deal_team": deal_team_rows(acme, deals),
        "crm_activities": _activities(acme, today),
        "mail_threads": _threads(acme, today),
        "calendar_events": _dana_day(companies),
        "support_orgs": [_support_org(acme)],
        "support_tickets": _tickets(acme, today),
        "contracts": [_contract(today)],
        "usage_daily": daily_users(tenant_slug(acme.domain), 420, _decline, rng, today),
        "billing_customers": [{"id": ACME_BILLING_ID, "name": ACME_SPELLINGS["billing"]}],
        "billing_invoices": _invoices(today),
        "webinar_attendance": [
            {"webinar": "Scaling Customer Ops with AI", "email": acme.contacts[1].email}
            | {"attended_at": at(today, -6, 16, 4)}
        ],
    }


def _decline(days_ago: int) -> float:
    """Flat until seven weeks ago, then sliding to about 40% of the old level."""
    return 1.0 if days_ago >= 48 else 0.4 + 0.6 * days_ago / 48


def _deal(n: int, name: str, amount: float, stage: str, close: date) -> Row:
    row: Row = {"id": f"acct-0001-d{n}", "account_id": "acct-0001", "name": name}
    return row | {"amount": amount, "stage": stage, "close_date": close}


def _deals(acme: Company, today: date) -> list[Row]:
    days = timedelta(days=1)
    return [
        _deal(1, "Acme — Initial platform license", 180_000.0, "Closed Won", today - 716 * days),
        _deal(2, "Acme — Annual renewal", acme.annual_value, "Negotiation", today + 14 * days),
        _deal(3, "Acme — Platform expansion", 84_000.0, "Proposal", today + 21 * days),
        _deal(4, "Acme — Analytics add-on", 36_000.0, "Closed Lost", today - 120 * days),
    ]


def _activities(acme: Company, today: date) -> list[Row]:
    dana = acme.owner.email
    notes = (
        (3, "call", "Call with Alex Morgan: expansion scope agreed, but the EU API timeouts "
         "are blocking sign-off"),
        (10, "meeting", "Expansion workshop with Jamie Ortiz and the operations team"),
        (17, "email", "Sent Chris Novak the expansion quote ($84,000)"),
        (33, "note", "Alex says adoption dropped after their reorg; asked for a usage review"),
    )  # fmt: skip
    return [
        {"id": f"acct-0001-a{i + 1:02d}", "account_id": acme.id, "at": at(today, -ago, 15, 30)}
        | {"kind": kind, "summary": text, "by_email": dana, "contact_email": None}
        for i, (ago, kind, text) in enumerate(notes)
    ]


def _threads(acme: Company, today: date) -> list[Row]:
    alex, jamie, chris = (p.email for p in acme.contacts[:3])
    dana = acme.owner.email
    raw = (
        ("thr-acme-1", "Re: API timeouts in EU region — any update?", [dana, alex, jamie], 6,
         alex, at(today, -1, 17, 42),
         "It has been over a week. Our ops team is escalating internally; we need an ETA."),
        ("thr-acme-2", "Re: Platform expansion — revised quote", [dana, chris], 4, chris,
         at(today, -2, 14, 5),
         "Legal is fine with the terms, but we want the outage resolved before we sign."),
        ("thr-acme-3", "Renewal paperwork for next term", [dana, chris, alex], 2, dana,
         at(today, -6, 10, 20), "Attaching the renewal order form for your review."),
        ("thr-acme-4", "Invoice past due — INV-000101", [dana, chris], 1, dana,
         at(today, -9, 9, 0), "Finance flagged the invoice as past due; could you check?"),
    )  # fmt: skip
    keys = ("id", "subject", "participants", "message_count", "last_from", "last_at", "snippet")
    return [dict(zip(keys, values, strict=True)) for values in raw]


def _dana_day(companies: tuple[Company, ...]) -> list[Row]:
    """Dana's meetings: three rolling ones every four hours (so the next of each is always
    less than four hours away, and Acme's starts at 03:00, 07:00, ... 23:00 UTC), and the
    prospect's discovery call tomorrow."""
    acme = companies[0]
    dana = acme.owner.email
    staff = {p.name: p.email for p in employees()}
    other = next(c for c in companies if c.owner.email == dana and c.profile == "healthy")
    prospect = next(c for c in companies if c.owner.email == dana and c.profile == "prospect")
    acme_guests = [p.email for p in acme.contacts[:2]] + [staff["Grace Liu"]]
    plan = (
        ("evt-story-1", "Pipeline review", "every", 30, 30, [staff["Rachel Kim"]]),
        ("evt-story-2", "Acme Corporation — QBR and expansion review", "every", 180, 60,
         acme_guests),
        ("evt-story-3", f"{other.name} — Weekly sync", "every", 90, 30,
         [other.contacts[0].email]),
        ("evt-story-4", f"{prospect.name} — Discovery call", "today", 1440 + 17 * 60, 45,
         [p.email for p in prospect.contacts[:2]]),
    )  # fmt: skip
    return [
        {"id": eid, "title": title, "anchor": anchor, "offset_minutes": offset}
        | {"period_minutes": STORY_PERIOD_MINUTES if anchor == "every" else None}
        | {"duration_minutes": length, "organizer_email": dana, "attendees": [dana, *guests]}
        for eid, title, anchor, offset, length, guests in plan
    ]


def _tickets(acme: Company, today: date) -> list[Row]:
    people = [p.email for p in acme.contacts]
    raw = (
        ("API requests timing out in EU region", "P1", "open", -9, 8, people[0]),
        ("SSO login loop after IdP certificate rotation", "P2", "pending", -4, 13, people[1]),
        ("CSV export missing custom fields", "P3", "open", -16, 11, people[3]),
        ("Question about audit log retention", "P4", "solved", -25, 15, people[2]),
        ("Webhook retries duplicated events", "P3", "solved", -48, 9, people[4]),
    )
    return [
        {"id": f"{ACME_SUPPORT_ORG}-t{i + 1}", "org_id": ACME_SUPPORT_ORG, "subject": subject}
        | {"priority": prio, "status": status, "opened_at": at(today, days, hour, 40)}
        | {"requester_email": who}
        for i, (subject, prio, status, days, hour, who) in enumerate(raw)
    ]


def _contract(today: date) -> Row:
    renewal = today + timedelta(days=14)
    return {
        "id": ACME_CONTRACT_ID,
        "customer_name": ACME_SPELLINGS["contracts"],
        "tier": "Enterprise",
        "start_date": renewal - timedelta(days=365),
        "renewal_date": renewal,
        "annual_value": 240_000.0,
        "auto_renew": False,
        "terms": [
            "99.9% uptime SLA with service credits",
            "Price cap 5% at renewal",
            "Termination for convenience with 60 days notice",
        ],
    }


def _invoices(today: date) -> list[Row]:
    """Monthly invoices of $20,000; last month's (INV-000101) is 16 days past due."""
    return [
        invoice(ACME_BILLING_ID, f"0001{m:02d}", 20_000.0, today, m, late=m == 1) for m in range(13)
    ]

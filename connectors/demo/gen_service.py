"""Rows of the post-sale systems: support desk, contracts, product usage and billing.

Prospects appear in none of them; churned customers keep their support history, old invoices
and usage that stopped weeks ago, but no contract.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from random import Random
from typing import Final

from connectors.demo.companies import Company, Row, Rows, at
from connectors.demo.disagreements import support_phone
from connectors.demo.names import CONTRACT_TERMS
from connectors.demo.spelling import billing_name, contract_name, support_name, tenant_slug

_SUBJECTS: Final = (
    "Dashboard loads slowly in the morning",
    "Cannot add new users to workspace",
    "Webhook deliveries delayed",
    "Question about API rate limits",
    "Report totals do not match export",
    "SAML configuration help",
    "Mobile app crashes on login",
    "Request to raise storage quota",
)
Shape = Callable[[int], float]  # days ago -> multiple of the base level
_PRIORITY: Final = ("P2", "P3", "P3", "P4", "P4")


def support_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Support desk organisations and tickets for every customer but the story account."""
    rows: Rows = {"support_orgs": [], "support_tickets": []}
    for n, c in enumerate(c for c in companies if c.profile not in ("prospect", "story")):
        org = f"org-{1100 + n * 7}"
        name = support_name(c.name, rng)
        rows["support_orgs"].append({"id": org, "name": name, "phone": support_phone(c)})
        count = rng.randint(3, 6) if c.profile == "at_risk" else rng.randint(0, 4)
        rows["support_tickets"] += [_ticket(c, org, i, rng, today) for i in range(count)]
    return rows


def _ticket(c: Company, org: str, i: int, rng: Random, today: date) -> Row:
    age = rng.randint(1, 60)
    open_odds = {"at_risk": 0.6, "churned": 0.0}.get(c.profile, 0.25)
    status = rng.choice(("open", "pending")) if age < 30 and rng.random() < open_odds else "solved"
    return {
        "id": f"{org}-t{i + 1}",
        "org_id": org,
        "subject": rng.choice(_SUBJECTS),
        "priority": rng.choice(_PRIORITY),
        "status": status,
        "opened_at": at(today, -age, rng.randint(7, 22), rng.randint(0, 59)),
        "requester_email": rng.choice(c.contacts).email,
    }


def contract_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """One current contract per paying customer (the story account's is in ``story``)."""
    rows: list[Row] = []
    for n, c in enumerate(c for c in companies if c.profile in ("healthy", "at_risk")):
        renewal = today + timedelta(days=c.renewal_in_days)
        rows.append(
            {
                # Not dated: a record keeps its id whatever day the world is generated for.
                "id": f"CTR-{n + 1:04d}",
                "customer_name": contract_name(c.name, rng),
                "tier": c.tier,
                "start_date": renewal - timedelta(days=365),
                "renewal_date": renewal,
                "annual_value": c.annual_value,
                "auto_renew": rng.random() < 0.6,
                "terms": sorted(rng.sample(CONTRACT_TERMS, rng.randint(1, 3))),
            }
        )
    return {"contracts": rows}


def usage_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Daily active users for the last 90 days per tenant; churned tenants went quiet."""
    rows: list[Row] = []
    for c in companies:
        if c.profile in ("prospect", "story"):
            continue
        base = c.annual_value / rng.uniform(250, 400)
        trend = {"at_risk": rng.uniform(-0.5, -0.3)}.get(c.profile, rng.uniform(-0.03, 0.12))
        last = 45 if c.profile == "churned" else 1
        rows += daily_users(tenant_slug(c.domain), base, _linear(trend), rng, today, last)
    return {"usage_daily": rows}


def _linear(trend: float) -> Shape:
    return lambda ago: 1 + trend * (90 - ago) / 90


def daily_users(
    tenant: str, base: float, shape: Shape, rng: Random, today: date, last: int = 1
) -> list[Row]:
    """Rows for days 90..``last`` ago: ``base`` times ``shape(days_ago)``, noisy, quiet weekends."""
    rows: list[Row] = []
    for ago in range(90, last - 1, -1):
        day = today - timedelta(days=ago)
        weekend = 0.45 if day.weekday() >= 5 else 1.0
        users = base * shape(ago) * weekend * rng.uniform(0.92, 1.08)
        rows.append({"tenant": tenant, "day": day, "active_users": max(0, round(users))})
    return rows


def billing_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """Billing customers and monthly invoices for 13 months (the story account's in ``story``)."""
    rows: Rows = {"billing_customers": [], "billing_invoices": []}
    for c in companies:
        if c.profile in ("prospect", "story"):
            continue
        cid = f"cus_{rng.getrandbits(40):010x}"
        rows["billing_customers"].append({"id": cid, "name": billing_name(c.name, rng)})
        overdue = c.profile == "at_risk" and rng.random() < 0.7
        months = range(4, 13) if c.profile == "churned" else range(13)
        rows["billing_invoices"] += [
            invoice(cid, f"{c.id[-4:]}{m:02d}", c.annual_value / 12, today, m, overdue and m == 1)
            for m in months
        ]
    return rows


def invoice(cid: str, suffix: str, amount: float, today: date, months_ago: int, late: bool) -> Row:
    """A monthly invoice issued ``months_ago`` months (of 30 days) before the latest one."""
    issued = today - timedelta(days=16 + 30 * months_ago)
    due = issued + timedelta(days=30)
    return {
        "number": f"INV-{suffix}",
        "customer_id": cid,
        "amount": round(amount, 2),
        "issued_on": issued,
        "due_on": due,
        "status": "open" if late or due >= today else "paid",
    }

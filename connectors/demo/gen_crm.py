"""CRM rows: users (Northwind staff), accounts, contacts, deals and activities."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Final

from connectors.demo.companies import Company, Person, Row, Rows, at, employees
from connectors.demo.disagreements import crm_renewal, phone_of
from connectors.demo.names import DEAL_TEAMS, EMPLOYEES, MANAGERS

_OPEN_STAGES: Final = ("Discovery", "Proposal", "Negotiation", "Commit")
_STAGE: Final = {
    "story": "customer",
    "healthy": "customer",
    "at_risk": "customer",
    "prospect": "prospect",
    "churned": "churned",
}
_ACTIVITIES: Final = (
    ("call", "Check-in call with {who}: roadmap questions, happy with onboarding"),
    ("email", "Sent {who} the updated pricing sheet"),
    ("meeting", "Quarterly business review with {who}"),
    ("note", "{who} mentioned budget planning starts next quarter"),
    ("call", "Discovery call with {who} about reporting needs"),
    ("email", "Followed up with {who} on open support questions"),
)
# Days since the last touch, by profile: at-risk accounts have gone quiet.
_LAST_TOUCH: Final = {"healthy": (1, 20), "at_risk": (18, 45), "prospect": (1, 10)}


def crm_rows(companies: tuple[Company, ...], rng: Random, today: date) -> Rows:
    """All CRM tables except the scripted accounts' deals and activities (see ``story``)."""
    rows: Rows = {"crm_users": _users(), "crm_accounts": [], "crm_contacts": []}
    rows |= {"crm_deals": [], "crm_activities": [], "crm_deal_team": []}
    for c in companies:
        rows["crm_accounts"].append(_account(c, today))
        rows["crm_contacts"] += [_contact(c, i, p) for i, p in enumerate(c.contacts)]
        if c.profile != "story" and not c.scripted:
            deals = _deals(c, rng, today)
            rows["crm_deals"] += deals
            rows["crm_deal_team"] += deal_team_rows(c, deals)
            rows["crm_activities"] += _activities(c, rng, today)
    return rows


def deal_team_rows(c: Company, deals: list[Row]) -> list[Row]:
    """Each deal's team: the account owner, and the colleagues :data:`DEAL_TEAMS` names
    (nothing is drawn, so the teams are the same for every seed)."""
    email = {p.name: p.email for p in employees()}
    members = [email[name] for name in DEAL_TEAMS.get(c.name, ())]
    rows: list[Row] = []
    for deal in deals:
        rows.append({"deal_id": deal["id"], "email": c.owner.email, "role": "owner"})
        rows += [{"deal_id": deal["id"], "email": m, "role": "member"} for m in members]
    return rows


def _contact(c: Company, i: int, p: Person) -> Row:
    return {
        "id": f"{c.id}-c{i + 1:02d}",
        "account_id": c.id,
        "name": p.name,
        "email": p.email,
        "title": p.title,
    }


def _users() -> list[Row]:
    roles = {name: list(r) for name, _, r in EMPLOYEES}
    staff = employees()
    email = {p.name: p.email for p in staff}
    return [
        {"email": p.email, "name": p.name, "title": p.title, "roles": roles[p.name]}
        | {"manager_email": email.get(MANAGERS.get(p.name, ""))}
        for p in staff
    ]


def _account(c: Company, today: date) -> Row:
    return {
        "id": c.id,
        "name": c.name,
        "domain": c.domain,
        "industry": c.industry,
        "owner_email": c.owner.email,
        "lifecycle_stage": _STAGE[c.profile],
        "renewal_date": crm_renewal(c, today),
        "phone": phone_of(c),
    }


def _deal(c: Company, n: int, name: str, amount: float, stage: str, close: date) -> Row:
    short = c.name.split(" ")[0]
    return {
        "id": f"{c.id}-d{n}",
        "account_id": c.id,
        "name": f"{short} — {name}",
        "amount": round(amount, -2),
        "stage": stage,
        "close_date": close,
    }


def _deals(c: Company, rng: Random, today: date) -> list[Row]:
    days = timedelta(days=1)
    if c.profile == "prospect":
        stage = rng.choice(_OPEN_STAGES[:2])
        close = today + rng.randint(20, 75) * days
        return [_deal(c, 1, "New platform subscription", c.annual_value, stage, close)]
    signed = today + (c.renewal_in_days - 365 * rng.randint(1, 3)) * days
    deals = [_deal(c, 1, "Initial platform license", c.annual_value, "Closed Won", signed)]
    if c.profile == "churned":
        lost = today - rng.randint(60, 150) * days
        return [*deals, _deal(c, 2, "Renewal", c.annual_value, "Closed Lost", lost)]
    if c.renewal_in_days <= 120:
        stage = "Negotiation" if c.profile == "at_risk" else rng.choice(_OPEN_STAGES[1:])
        renew_on = today + c.renewal_in_days * days
        deals.append(_deal(c, 2, "Annual renewal", c.annual_value, stage, renew_on))
    if c.profile == "healthy" and rng.random() < 0.5:
        amount = c.annual_value * rng.uniform(0.2, 0.5)
        close = today + rng.randint(10, 90) * days
        deals.append(_deal(c, 3, "Expansion", amount, rng.choice(_OPEN_STAGES), close))
    return deals


def _activities(c: Company, rng: Random, today: date) -> list[Row]:
    low, high = _LAST_TOUCH.get(c.profile, (60, 200))
    newest = rng.randint(low, high)
    out: list[Row] = []
    for n in range(rng.randint(3, 7)):
        kind, text = rng.choice(_ACTIVITIES)
        when = at(
            today, -(newest + n * rng.randint(4, 12)), rng.randint(13, 21), rng.choice((0, 30))
        )
        who = rng.choice(c.contacts)
        row = {"id": f"{c.id}-a{n + 1:02d}", "account_id": c.id, "at": when, "kind": kind}
        row |= {"summary": text.format(who=who.name), "by_email": c.owner.email}
        out.append(row | {"contact_email": who.email})
    return out

"""The demo world's systems hold some facts twice, and disagree about them only where planted."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from connectors.demo.companies import build_companies
from connectors.demo.disagreements import phone_of, support_phone
from connectors.demo.world import generate_world

TODAY = date(2026, 12, 1)


def test_the_crm_and_the_contracts_differ_on_one_renewal_date_only() -> None:
    rows = generate_world(7, TODAY)
    crm = Counter(r["renewal_date"] for r in rows["crm_accounts"] if r["renewal_date"])
    contracts = Counter(r["renewal_date"] for r in rows["contracts"])
    quantum = next(r for r in rows["crm_accounts"] if r["name"] == "Quantum Freight Inc.")
    assert list((crm - contracts).elements()) == [quantum["renewal_date"]]
    only_contracts = sorted((contracts - crm).elements())
    # The contract's date, and a churned customer's lapsed contract the CRM keeps no date for.
    assert quantum["renewal_date"] + timedelta(days=13) in only_contracts
    assert len(only_contracts) == 2 and only_contracts[0] < TODAY


def test_the_support_desk_has_one_stale_phone_number() -> None:
    rows = generate_world(7, TODAY)
    crm = {r["phone"] for r in rows["crm_accounts"]}
    support = [r["phone"] for r in rows["support_orgs"]]
    assert len(crm) == len(rows["crm_accounts"])  # every customer has its own number
    stale = [p for p in support if p not in crm]
    northgate = next(c for c in build_companies(7) if c.name == "Northgate Properties LLC")
    assert stale == [support_phone(northgate)] and stale != [phone_of(northgate)]

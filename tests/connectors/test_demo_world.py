"""The demo world: deterministic, relative to today, and telling Acme's story in every system."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.demo import generate_world, open_demo_world
from connectors.demo.calendar import meetings_between
from connectors.demo.store import DemoWorld
from workflows.clock import ManualClock

TODAY = date(2025, 6, 10)
NOW = datetime(2025, 6, 10, 9, 7, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def _days(value: object) -> date:
    assert isinstance(value, date)
    return value if not isinstance(value, datetime) else value.date()


@pytest.fixture
async def world(tmp_path: Path) -> DemoWorld:
    opened = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(NOW))
    await opened.close()
    return opened


def test_same_seed_and_day_give_identical_rows() -> None:
    assert generate_world(7, TODAY) == generate_world(7, TODAY)
    assert generate_world(7, TODAY) != generate_world(8, TODAY)


async def test_same_seed_and_day_give_identical_files(tmp_path: Path) -> None:
    for name in ("a.db", "b.db"):
        await (await open_demo_world(tmp_path / name, clock=ManualClock(NOW))).close()
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")


def test_a_later_day_shifts_every_date_by_the_same_amount() -> None:
    before, after = generate_world(7, TODAY), generate_world(7, TODAY + timedelta(days=3))
    for table, column in (("support_tickets", "opened_at"), ("contracts", "renewal_date")):
        pairs = zip(before[table], after[table], strict=True)
        shifts = {_days(b[column]) - _days(a[column]) for a, b in pairs}
        assert shifts == {timedelta(days=3)}, table


async def test_the_world_is_big_enough(world: DemoWorld) -> None:
    assert _rows(world.path, "SELECT count(*) FROM crm_accounts")[0][0] >= 40
    assert _rows(world.path, "SELECT count(*) FROM crm_contacts")[0][0] >= 300
    misplaced = _rows(
        world.path,
        "SELECT c.email FROM crm_contacts c JOIN crm_accounts a ON a.id = c.account_id "
        "WHERE c.email NOT LIKE '%@' || a.domain",
    )
    assert misplaced == []


async def test_acme_is_spelled_differently_in_each_system(world: DemoWorld) -> None:
    def one(sql: str) -> Any:
        return _rows(world.path, sql)[0][0]

    assert one("SELECT name FROM crm_accounts WHERE domain = 'acme.io'") == "Acme Corporation"
    assert one("SELECT name FROM support_orgs WHERE name LIKE 'acme%'") == "ACME Corp."
    assert one("SELECT name FROM billing_customers WHERE name LIKE 'acme%'") == "Acme Corp"
    contract = "SELECT customer_name FROM contracts WHERE customer_name LIKE 'acme%'"
    assert one(contract) == "Acme Corporation, Inc."
    assert one("SELECT count(*) FROM usage_daily WHERE tenant = 'acme-io'") == 90
    assert one("SELECT count(*) FROM mail_threads WHERE participants LIKE '%@acme.io%'") >= 3


async def test_other_accounts_are_spelled_differently_too(world: DemoWorld) -> None:
    crm = {r[0] for r in _rows(world.path, "SELECT name FROM crm_accounts")}
    for table, column in (("support_orgs", "name"), ("billing_customers", "name")):
        names = [r[0] for r in _rows(world.path, f"SELECT {column} FROM {table}")]
        assert sum(n not in crm for n in names) >= 10, table


async def test_prospects_have_no_contract_usage_or_invoices(world: DemoWorld) -> None:
    prospects = _rows(
        world.path, "SELECT domain FROM crm_accounts WHERE lifecycle_stage = 'prospect'"
    )
    assert len(prospects) >= 3
    tenants = {r[0] for r in _rows(world.path, "SELECT DISTINCT tenant FROM usage_daily")}
    assert not tenants & {d.replace(".", "-") for (d,) in prospects}


async def test_dana_reyes_is_an_account_executive_who_owns_acme(world: DemoWorld) -> None:
    assert _rows(world.path, f"SELECT name, title FROM crm_users WHERE email = '{DANA}'") == [
        ("Dana Reyes", "Account Executive")
    ]
    owner = "SELECT owner_email FROM crm_accounts WHERE name = 'Acme Corporation'"
    assert _rows(world.path, owner) == [(DANA,)]


async def test_dana_meets_acme_within_four_hours(tmp_path: Path) -> None:
    """Dana's rolling story meetings: the next of each is less than four hours away."""
    world = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(NOW))
    async with world.read() as read:
        found = await meetings_between(read, NOW, NOW + timedelta(hours=4))
    await world.close()
    danas = [m for m in found if DANA in m.attendees]
    assert len(danas) >= 3
    acme = [m for m in danas if any(a.endswith("@acme.io") for a in m.attendees)]
    assert [m.starts_at for m in acme] == [datetime(2025, 6, 10, 11, 0, tzinfo=UTC)]


async def test_reopening_reuses_a_current_file_and_rebuilds_a_stale_one(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    await (await open_demo_world(path, clock=ManualClock(NOW))).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE crm_accounts SET name = 'Marker' WHERE id = 'acct-0001'")
    await (await open_demo_world(path, clock=ManualClock(NOW))).close()
    assert _rows(path, "SELECT name FROM crm_accounts WHERE id = 'acct-0001'") == [("Marker",)]
    later = TODAY + timedelta(days=1)
    await (await open_demo_world(path, clock=ManualClock(NOW + timedelta(days=1)))).close()
    assert _rows(path, "SELECT name FROM crm_accounts WHERE id = 'acct-0001'") == [
        ("Acme Corporation",)
    ]
    assert ("today", later.isoformat()) in _rows(path, "SELECT key, value FROM meta")

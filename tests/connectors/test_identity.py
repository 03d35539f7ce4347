"""Identity linking: one customer across systems, whatever each system calls it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.demo import open_demo_world
from connectors.identity import IdentityDirectory, build_directory, normalize_name
from workflows.clock import ManualClock

TODAY = date(2025, 6, 10)
NOW = datetime(2025, 6, 10, 9, 7, tzinfo=UTC)
SYSTEMS = {"crm", "email", "support", "contracts", "usage", "billing"}


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("identity") / "demo.db"

    async def generate() -> None:
        await (await open_demo_world(path, clock=ManualClock(NOW))).close()

    asyncio.run(generate())
    return path


@pytest.fixture
async def directory(world_file: Path) -> AsyncIterator[IdentityDirectory]:
    world = await open_demo_world(world_file, clock=ManualClock(NOW))
    yield await build_directory(world)
    await world.close()


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Acme Corporation, Inc.", "acme"),
        ("ACME Corp.", "acme"),
        ("Lumen & Oak Interiors", "lumen and oak interiors"),
        ("Falcon Aerospace GmbH", "falcon aerospace"),
        ("Inc.", "inc"),
    ],
)
def test_normalize_name(name: str, normalized: str) -> None:
    assert normalize_name(name) == normalized


ACME_QUERIES = ["Acme", "acme", "ACME Corp.", "acme.io", "Acme Corporation", "acme corp"]
ACME_QUERIES += [" Acme, Inc. ", "alex.morgan@acme.io", "acme-io", "Acmee"]
NEAR_MISSES = [
    ("Summit Helth", "Summit Health Systems"),
    ("Blue Harbour", "Blue Harbor Logistics"),
    ("quantum", "Quantum Freight Inc."),
]


@pytest.mark.parametrize("query", ACME_QUERIES)
async def test_acme_resolves_from_any_spelling(directory: IdentityDirectory, query: str) -> None:
    result = directory.resolve_account(query)
    assert result.status == "found"
    assert result.account is not None
    assert (result.account.name, result.account.domain) == ("Acme Corporation", "acme.io")


async def test_acme_is_linked_in_every_system(directory: IdentityDirectory) -> None:
    acme = directory.resolve_account("Acme").account
    assert acme is not None
    assert acme.links == {
        "crm": "acct-0001",
        "email": "acme.io",
        "support": "org-1042",
        "contracts": "CTR-ACME-0001",
        "usage": "acme-io",
        "billing": "cus_7f3a9c21e4",
    }


async def test_most_customers_are_linked_everywhere(directory: IdentityDirectory) -> None:
    linked = [a for a in directory.accounts() if set(a.links) >= SYSTEMS]
    assert len(linked) >= 35
    assert len(directory.accounts()) >= 40


async def test_prospects_are_linked_only_where_they_exist(directory: IdentityDirectory) -> None:
    polaris = directory.resolve_account("Polaris Mobility").account
    assert polaris is not None
    assert set(polaris.links) == {"crm", "email"}


@pytest.mark.parametrize("query", ["Globex", "Globex Industries", "Initech", "zzzz"])
async def test_unknown_names_get_no_random_suggestions(
    directory: IdentityDirectory, query: str
) -> None:
    result = directory.resolve_account(query)
    assert (result.status, result.account, result.candidates) == ("not_found", None, [])


async def test_an_account_id_resolves_exactly(directory: IdentityDirectory) -> None:
    result = directory.resolve_account("acct-0002")
    assert result.account is not None and result.account.name == "Blue Harbor Logistics"


@pytest.mark.parametrize("query", ["", "   ", "Inc.", ","])
async def test_empty_queries_are_not_found(directory: IdentityDirectory, query: str) -> None:
    result = directory.resolve_account(query)
    assert result.status == "not_found"
    assert result.account is None


@pytest.mark.parametrize("query", ["Acme Corpp Holdings", "Acme Health"])
async def test_extra_words_are_not_a_match_but_a_suggestion(
    directory: IdentityDirectory, query: str
) -> None:
    result = directory.resolve_account(query)
    assert result.status == "not_found"
    assert result.candidates[0] == "Acme Corporation"


@pytest.mark.parametrize(("query", "name"), NEAR_MISSES)
async def test_small_typos_and_partial_names_still_resolve(
    directory: IdentityDirectory, query: str, name: str
) -> None:
    result = directory.resolve_account(query)
    assert result.account is not None
    assert result.account.name == name


async def test_two_close_accounts_are_ambiguous(directory: IdentityDirectory) -> None:
    result = directory.resolve_account("Summit")
    assert result.status == "ambiguous"
    assert result.account is None
    assert sorted(result.candidates) == ["Summit Financial Group", "Summit Health Systems"]


async def test_a_more_precise_query_settles_the_ambiguity(directory: IdentityDirectory) -> None:
    result = directory.resolve_account("summit health")
    assert result.account is not None
    assert result.account.name == "Summit Health Systems"


async def test_other_systems_spellings_resolve_too(directory: IdentityDirectory) -> None:
    result = directory.resolve_account("Lumen and Oak")
    assert result.account is not None
    assert result.account.name == "Lumen & Oak Interiors"


async def test_find_employee_ignores_case(directory: IdentityDirectory) -> None:
    dana = directory.find_employee("Dana.Reyes@Northwind.example")
    assert dana is not None
    assert (dana.name, dana.title, dana.roles) == ("Dana Reyes", "Account Executive", ["sales"])
    manager = directory.find_employee("rachel.kim@northwind.example")
    assert manager is not None
    assert manager.roles == ["sales", "manager"]
    assert directory.find_employee("alex.morgan@acme.io") is None


async def test_account_by_unified_id(directory: IdentityDirectory) -> None:
    acme = directory.account("acct-0001")
    assert acme is not None
    assert acme.name == "Acme Corporation"
    assert directory.account("acct-9999") is None


async def test_managers_follow_the_org_chart(directory: IdentityDirectory) -> None:
    def manager(email: str) -> str | None:
        found = directory.manager_of(f"{email}@northwind.example")
        return None if found is None else found.name

    assert manager("dana.reyes") == "Rachel Kim"
    assert manager("TOM.BECKER") == "Rachel Kim"
    assert manager("grace.liu") == "Rachel Kim"
    assert manager("rachel.kim") == "Victor Alvarez"
    assert manager("nora.lindqvist") == "Victor Alvarez"
    assert manager("ben.carter") == "Victor Alvarez"
    assert manager("victor.alvarez") is None
    assert manager("nobody") is None


async def test_account_owner_is_the_crm_owner(directory: IdentityDirectory) -> None:
    owner = directory.account_owner("acct-0001")
    assert owner is not None and owner.email == "dana.reyes@northwind.example"
    blue_harbor = directory.account_owner("acct-0002")
    assert blue_harbor is not None and blue_harbor.name == "Marcus Chen"
    assert directory.account_owner("acct-9999") is None

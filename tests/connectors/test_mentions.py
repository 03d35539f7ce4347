"""Finding the customers a message names, over the real demo world's directory."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo import open_demo_world
from connectors.identity import (
    ContactRecord,
    DirectorySource,
    IdentityDirectory,
    build_directory,
)
from workflows.clock import ManualClock
from workflows.domain import AccountRef

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACME = "Acme Corporation"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> IdentityDirectory:
    path: Path = tmp_path_factory.mktemp("mentions") / "demo.db"

    async def build() -> IdentityDirectory:
        world = await open_demo_world(path, clock=ManualClock(NOW))
        try:
            return await build_directory(world)
        finally:
            await world.close()

    return asyncio.run(build())


@pytest.mark.parametrize(
    ("text", "name", "typed", "how"),
    [
        ("brief me on Acme", ACME, "Acme", "name"),
        ("what about ACME Corp.?", ACME, "ACME Corp", "name"),
        ("Acme's renewal", ACME, "Acme", "name"),
        ("brief me on Lumen & Oak", "Lumen & Oak Interiors", "Lumen & Oak", "partial"),
        ("lumen and oak interiors", "Lumen & Oak Interiors", "lumen and oak interiors", "name"),
        ("and Blue Harbor?", "Blue Harbor Logistics", "Blue Harbor", "partial"),
        ("brief acme.io", ACME, "acme.io", "domain"),
        ("see blueharbor.com.", "Blue Harbor Logistics", "blueharbor.com", "domain"),
        ("mail from alex.morgan@acme.io", ACME, "alex.morgan@acme.io", "email"),
        ("my call with Alex Morgan", ACME, "Alex Morgan", "contact"),
        ("Blue Harbour", "Blue Harbor Logistics", "Blue Harbour", "similar"),
        ("summit helth", "Summit Health Systems", "summit helth", "similar"),
        ("Acmee", ACME, "Acmee", "similar"),
    ],
)
def test_a_customer_is_found_however_it_is_written(
    directory: IdentityDirectory, text: str, name: str, typed: str, how: str
) -> None:
    [mention] = directory.find_in(text)
    assert (mention.account.name, mention.text, mention.how) == (name, typed, how)
    assert text[mention.start : mention.end] == typed


def test_two_customers_are_both_found_in_order(directory: IdentityDirectory) -> None:
    mentions = directory.find_in("brief me on Blue Harbor and Acme")
    assert [m.account.name for m in mentions] == ["Blue Harbor Logistics", ACME]


def test_one_word_that_fits_two_customers_gives_both(directory: IdentityDirectory) -> None:
    mentions = directory.find_in("brief me on Summit")
    assert sorted(m.account.name for m in mentions) == [
        "Summit Financial Group",
        "Summit Health Systems",
    ]
    assert {(m.start, m.end) for m in mentions} == {(12, 18)}


def test_a_longer_name_wins_over_its_first_word(directory: IdentityDirectory) -> None:
    [mention] = directory.find_in("prep me for Summit Health")
    assert mention.account.name == "Summit Health Systems"


def test_a_common_word_beside_a_customer_is_not_one(directory: IdentityDirectory) -> None:
    # "delta" begins "Delta Freightways", but in lower case beside Acme it is just a word.
    [mention] = directory.find_in("what's the delta on Acme's renewal")
    assert mention.account.name == ACME


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "who are you?",
        "order me a pizza",
        "update the deal",
        "brief me on Globex Industries",
        "brief me on Dana Reyes",
        "email the team about the meeting tomorrow at 2pm",
        "what's new with northwind?",
    ],
)
def test_text_without_a_customer_finds_none(directory: IdentityDirectory, text: str) -> None:
    assert directory.find_in(text) == []


def test_close_names_are_plausible_or_absent(directory: IdentityDirectory) -> None:
    assert [a.name for a in directory.close_to("Quantam Frieght")] == ["Quantum Freight Inc."]
    assert directory.close_to("Globex Industries") == []
    assert directory.close_to("Initech") == []


def test_lookups_are_fast(directory: IdentityDirectory) -> None:
    text = "prep me for my call with Alex Morgan, especially the renewal and open tickets"
    assert _median_ms(directory, text) < 1.0


def test_lookups_stay_fast_for_thousands_of_accounts() -> None:
    accounts = [
        AccountRef(account_id=f"a{i}", name=f"{word} {other} Group", domain=f"d{i}.example")
        for i, (word, other) in enumerate(_names(3000))
    ]
    contacts = [
        ContactRecord(f"Person{i} Last{i}", f"p{i}@d{i}.example", f"a{i}") for i in range(3000)
    ]
    big = IdentityDirectory(DirectorySource(accounts, [], {}, [], contacts))
    text = "brief me on Harbor Pine Group before my 2pm, especially the renewal"
    [mention] = big.find_in(text)
    assert mention.account.name == "Harbor Pine Group"
    assert _median_ms(big, text) < 20.0


def _names(count: int) -> list[tuple[str, str]]:
    words = ["Harbor", "Pine", "Summit", "Cedar", "Atlas", "Nova", "Vale", "Orion", "Lark", "Fern"]
    pairs = [(f"{a}{i}", b) for i in range(count) for a in words for b in words if a != b]
    return [("Harbor", "Pine"), *pairs[: count - 1]]


def _median_ms(directory: IdentityDirectory, text: str) -> float:
    times = []
    for _ in range(25):
        start = time.perf_counter()
        directory.find_in(text)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]

"""The recipient guard on the demo world's people: who is known at a customer, and who not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.demo import open_demo_world
from connectors.demo.audience import DemoAudience
from connectors.demo.story_injections import COMPETITOR, EVIL
from connectors.identity import IdentityDirectory, build_directory
from tests.workflows.conftest import DEMO_NOW
from workflows.clock import ManualClock
from workflows.engine.recipients import unknown_recipients

ACME = "acct-0001"
TAMARACK = "acct-0049"


@dataclass
class Guard:
    directory: IdentityDirectory
    audience: DemoAudience

    async def refused(self, *calls: dict[str, Any], operation: str = "email.send") -> list[str]:
        found = await unknown_recipients(operation, list(calls), self.directory, self.audience)
        return [] if found is None else list(found.recipients)


@pytest.fixture
async def guard(tmp_path: Path) -> AsyncIterator[Guard]:
    world = await open_demo_world(tmp_path / "demo.sqlite", clock=ManualClock(DEMO_NOW))
    try:
        yield Guard(await build_directory(world), DemoAudience(world))
    finally:
        await world.close()


def to(address: str, account: str | None = ACME) -> dict[str, Any]:
    call: dict[str, Any] = {"to": address, "subject": "s", "body": "b"}
    return call if account is None else call | {"account_id": account}


async def test_contacts_of_the_account_and_employees_may_receive(guard: Guard) -> None:
    assert await guard.refused(to("alex.morgan@acme.io"), to("Jamie.Ortiz@ACME.io")) == []
    assert await guard.refused(to("rachel.kim@northwind.example", None)) == []
    assert await guard.refused(to("elena.vasquez@tamarack.io", TAMARACK)) == []


async def test_outside_addresses_from_the_content_are_refused(guard: Guard) -> None:
    assert await guard.refused(to(EVIL)) == [EVIL]
    # On an Acme thread, but from a domain nobody at Acme uses.
    assert await guard.refused(to(COMPETITOR)) == [COMPETITOR]
    assert await guard.refused(to("alex.morgan@acme.io"), to(EVIL), to(EVIL.upper())) == [EVIL]


async def test_a_contact_is_known_only_for_their_own_customer(guard: Guard) -> None:
    assert await guard.refused(to("elena.vasquez@tamarack.io", ACME)) == [
        "elena.vasquez@tamarack.io"
    ]
    assert await guard.refused(to("alex.morgan@acme.io", None)) == ["alex.morgan@acme.io"]
    assert await guard.refused(to("alex.morgan@acme.io", "acct-9999")) == ["alex.morgan@acme.io"]


async def test_copies_are_checked_and_other_writes_are_not_sends(guard: Guard) -> None:
    copied = to("alex.morgan@acme.io") | {"cc": [COMPETITOR], "bcc": EVIL}
    assert await guard.refused(copied) == [COMPETITOR, EVIL]
    task = {"assignee_email": EVIL, "title": "t"}
    assert await guard.refused(task, operation="tasks.create") == []


async def test_without_an_audience_only_employees_may_receive(guard: Guard) -> None:
    calls = [to("alex.morgan@acme.io"), to("rachel.kim@northwind.example")]
    refused = await unknown_recipients("email.send", calls, guard.directory, None)
    assert refused is not None and refused.recipients == ("alex.morgan@acme.io",)
    assert "no approval was asked" in refused.reason

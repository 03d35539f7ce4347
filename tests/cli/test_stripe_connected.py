"""Stripe connected through configuration alone, as a user does it: crosswire.toml names the
Stripe stand-in, STRIPE_API_KEY holds the key. `crosswire connectors check` says the right
thing healthy and broken, the Acme briefing comes out the same as from the demo billing, and
the key shows nowhere: not in the output, the logs or the audit database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.demo import open_demo_world
from connectors.stripe.standin import StripeStandIn
from tests.cli.processes import crosswire
from workflows.clock import SystemClock

DANA = "dana.reyes@northwind.example"


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[StripeStandIn]:
    world = await open_demo_world(tmp_path / "seed.sqlite", clock=SystemClock())
    with StripeStandIn() as server:
        await server.seed_from(world)
        await world.close()
        yield server


def without_run_details(answer: str) -> str:
    """The answer without what differs between any two runs: when it ran, and its id."""
    answer = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "WHEN", answer)
    return re.sub(r"run cli-[0-9a-f]+", "run …", answer)


def connect(folder: Path, standin: StripeStandIn) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crosswire.toml").write_text(f'[connectors.stripe]\nbase_url = "{standin.url}"\n')
    return folder / ".crosswire"


def test_check_says_stripe_serves_billing(tmp_path: Path, standin: StripeStandIn) -> None:
    state = connect(tmp_path, standin)
    done = crosswire(state, "connectors", "check", env={"STRIPE_API_KEY": standin.api_key})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  ok    Billing (stripe): reachable and authorised; 2 reads, 2 writes." in lines
    assert not any("Billing (demo)" in line for line in lines)
    assert standin.api_key not in done.stdout + done.stderr


def test_check_says_a_refused_key_plainly_without_it(
    tmp_path: Path, standin: StripeStandIn
) -> None:
    wrong = "sk_test_51ThisKeyIsWrongAndSecret"
    done = crosswire(
        connect(tmp_path, standin), "connectors", "check", env={"STRIPE_API_KEY": wrong}
    )
    assert done.returncode == 1
    assert (
        "  FAIL  Billing (stripe): reachable but NOT AUTHORISED: Stripe refused our credentials "
        "(401): the key may be wrong, expired or revoked"
    ) in done.stdout.splitlines()
    assert wrong not in done.stdout + done.stderr and wrong[-4:] not in done.stdout


def test_check_says_a_missing_key_and_a_dead_stripe(tmp_path: Path, standin: StripeStandIn) -> None:
    missing = crosswire(connect(tmp_path / "a", standin), "connectors", "check")
    assert "Billing (stripe): NOT REACHABLE: STRIPE_API_KEY is not set" in missing.stdout
    standin.close()  # nobody answers at its address any more
    dead = crosswire(connect(tmp_path / "b", standin), "connectors", "check",
                     env={"STRIPE_API_KEY": standin.api_key})  # fmt: skip
    assert dead.returncode == 1
    assert "Billing (stripe): NOT REACHABLE: Stripe cannot be reached (connection failed)" in (
        dead.stdout
    )


def test_the_briefing_is_the_same_with_stripe_as_billing(
    tmp_path: Path, standin: StripeStandIn
) -> None:
    ask = ("ask", "brief me on Acme", "--as", DANA)
    demo = crosswire(tmp_path / "demo" / ".crosswire", *ask)
    state = connect(tmp_path / "stripe", standin)
    key = {"STRIPE_API_KEY": standin.api_key, "CROSSWIRE_LOG_LEVEL": "DEBUG"}
    stripe = crosswire(state, *ask, env=key)
    assert demo.returncode == stripe.returncode == 0, stripe.stderr
    assert "Overdue: INV-" in stripe.stdout
    assert without_run_details(stripe.stdout) == without_run_details(demo.stdout)
    assert any(s.path == "/v1/invoices" for s in standin.seen)
    assert standin.api_key not in stripe.stdout + stripe.stderr
    for stored in state.iterdir():
        assert standin.api_key.encode() not in stored.read_bytes(), stored.name

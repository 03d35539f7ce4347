"""HubSpot and Zendesk connected through configuration alone, as a user does it: crosswire.toml
names the stand-ins, the environment holds the tokens. `crosswire connectors check` says the
right thing healthy and broken, the Acme briefing comes out the same as from the demo CRM and
support desk, and no token shows anywhere: not in the output, the logs or the audit database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.demo import open_demo_world
from connectors.hubspot.standin import HubSpotStandIn
from connectors.zendesk.standin import ZendeskStandIn
from tests.cli.processes import crosswire
from tests.cli.test_stripe_connected import without_run_details
from workflows.clock import SystemClock

DANA = "dana.reyes@northwind.example"


@dataclass
class StandIns:
    hubspot: HubSpotStandIn
    zendesk: ZendeskStandIn

    def env(self) -> dict[str, str]:
        return {
            "HUBSPOT_ACCESS_TOKEN": self.hubspot.access_token,
            "ZENDESK_EMAIL": self.zendesk.email,
            "ZENDESK_API_TOKEN": self.zendesk.api_token,
        }

    def tokens(self) -> list[str]:
        return [self.hubspot.access_token, self.zendesk.api_token]


@pytest.fixture
async def standins(tmp_path: Path) -> AsyncIterator[StandIns]:
    world = await open_demo_world(tmp_path / "seed.sqlite", clock=SystemClock())
    with HubSpotStandIn() as hubspot, ZendeskStandIn() as zendesk:
        await hubspot.seed_from(world)
        await zendesk.seed_from(world)
        await world.close()
        yield StandIns(hubspot, zendesk)


def connect(folder: Path, s: StandIns) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crosswire.toml").write_text(
        f'[connectors.hubspot]\nbase_url = "{s.hubspot.url}"\n\n'
        f'[connectors.zendesk]\nbase_url = "{s.zendesk.url}"\n'
    )
    return folder / ".crosswire"


def test_check_says_hubspot_and_zendesk_serve_crm_and_support(
    tmp_path: Path, standins: StandIns
) -> None:
    done = crosswire(connect(tmp_path, standins), "connectors", "check", env=standins.env())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(
        line.startswith("  ok    CRM (hubspot): reachable and authorised;") for line in lines
    )
    assert "  ok    Support desk (zendesk): reachable and authorised; 2 reads, 0 writes." in lines
    assert not any("CRM (demo)" in line or "Support desk (demo)" in line for line in lines)
    assert not any(t in done.stdout + done.stderr for t in standins.tokens())


def test_check_says_a_refused_token_and_a_missing_one_plainly(
    tmp_path: Path, standins: StandIns
) -> None:
    wrong = "pat-na1-ThisTokenIsWrongAndSecret-7731"
    env = {"HUBSPOT_ACCESS_TOKEN": wrong, "ZENDESK_EMAIL": standins.zendesk.email}
    done = crosswire(connect(tmp_path, standins), "connectors", "check", env=env)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert (
        "  FAIL  CRM (hubspot): reachable but NOT AUTHORISED: HubSpot refused our credentials "
        "(401): the key may be wrong, expired or revoked"
    ) in lines
    assert any(
        line.startswith(
            "  FAIL  Support desk (zendesk): NOT REACHABLE: ZENDESK_API_TOKEN is not set"
        )
        for line in lines
    )
    assert wrong not in done.stdout + done.stderr and wrong[-8:] not in done.stdout


def test_check_says_a_dead_vendor_plainly(tmp_path: Path, standins: StandIns) -> None:
    state = connect(tmp_path, standins)
    standins.zendesk.close()  # nobody answers at its address any more
    done = crosswire(state, "connectors", "check", env=standins.env())
    assert done.returncode == 1
    assert (
        "Support desk (zendesk): NOT REACHABLE: Zendesk cannot be reached (connection failed)"
        in (done.stdout)
    )
    assert "  ok    CRM (hubspot): reachable and authorised;" in done.stdout


def test_the_briefing_is_the_same_with_hubspot_and_zendesk(
    tmp_path: Path, standins: StandIns
) -> None:
    ask = ("ask", "brief me on Acme", "--as", DANA)
    demo = crosswire(tmp_path / "demo" / ".crosswire", *ask)
    state = connect(tmp_path / "vendors", standins)
    vendors = crosswire(state, *ask, env=standins.env() | {"CROSSWIRE_LOG_LEVEL": "DEBUG"})
    assert demo.returncode == vendors.returncode == 0, vendors.stderr
    assert "Owner: Dana Reyes" in vendors.stdout and "P1 " in vendors.stdout
    assert without_run_details(vendors.stdout) == without_run_details(demo.stdout)
    assert any(s.path == "/crm/v3/objects/companies/acct-0001" for s in standins.hubspot.seen)
    assert any(s.path.endswith("/tickets.json") for s in standins.zendesk.seen)
    shown = vendors.stdout + vendors.stderr
    assert not any(t in shown for t in standins.tokens())
    for stored in state.iterdir():
        for token in standins.tokens():
            assert token.encode() not in stored.read_bytes(), stored.name

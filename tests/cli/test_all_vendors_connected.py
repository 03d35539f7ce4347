"""Every vendor connected at once, as a user does it: `crosswire demo standins --write DIR`
serves the Stripe, HubSpot, Zendesk and Google stand-ins seeded from the demo world and writes
DIR/crosswire.toml and DIR/standins.env; crosswire run in DIR with that environment says each
system is served by its vendor, and the Acme briefing comes out the same as from the demo world
alone, with no secret shown or stored anywhere."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.processes import clean_environment, crosswire
from tests.cli.test_stripe_connected import without_run_details

DANA = "dana.reyes@northwind.example"
SERVED_BY = {
    "Billing": "stripe", "CRM": "hubspot", "Support desk": "zendesk",
    "Mailbox": "google", "Calendar": "google",
}  # fmt: skip


@dataclass(frozen=True)
class Drill:
    """The running drill: the folder it wrote, what it printed, and the environment."""

    folder: Path
    printed: str
    env: dict[str, str]

    @property
    def state(self) -> Path:
        return self.folder / ".crosswire"

    def secrets(self) -> list[str]:
        raw = json.loads(Path(self.env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())
        key = [line for line in raw["private_key"].splitlines() if "-----" not in line]
        tokens = ("STRIPE_API_KEY", "HUBSPOT_ACCESS_TOKEN", "ZENDESK_API_TOKEN")
        return [self.env[t] for t in tokens] + [raw["private_key_id"], *key]


def exported(env_file: Path) -> dict[str, str]:
    """The variables a shell gets from ``. env_file`` (lines ``export NAME=value``)."""
    words = [shlex.split(line) for line in env_file.read_text().splitlines()]
    pairs = [w[1].partition("=") for w in words if w and w[0] == "export"]
    return {name: value for name, _, value in pairs}


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    root = tmp_path_factory.mktemp("drill")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "standins", "--write", "vendors"],
        cwd=root, env=clean_environment(root / ".crosswire"), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    printed = ""
    while not printed.rstrip().endswith("crosswire connectors check"):
        line = process.stdout.readline()
        assert line, f"the drill stopped: {process.stderr.read()}"
        printed += line
    folder = root / "vendors"
    try:
        yield Drill(folder, printed, exported(folder / "standins.env"))
    finally:
        process.terminate()
        rest, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert "Stopped: the stand-ins no longer answer." in rest


def test_the_drill_prints_what_it_writes(drill: Drill) -> None:
    toml = (drill.folder / "crosswire.toml").read_text().split("\n", 1)[1]
    env = (drill.folder / "standins.env").read_text().split("\n", 1)[1]
    assert f"Add these tables to crosswire.toml:\n\n{toml}\n" in drill.printed
    assert f"and set these variables where crosswire runs:\n\n{env}\n" in drill.printed
    assert set(drill.env) == {"STRIPE_API_KEY", "HUBSPOT_ACCESS_TOKEN", "ZENDESK_EMAIL",
                              "ZENDESK_API_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS"}  # fmt: skip
    key_file = Path(drill.env["GOOGLE_APPLICATION_CREDENTIALS"])
    assert key_file.parent == drill.folder and key_file.stat().st_mode & 0o077 == 0


def test_check_says_each_system_is_served_by_its_vendor(drill: Drill) -> None:
    done = crosswire(drill.state, "connectors", "check", env=drill.env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for label, vendor in SERVED_BY.items():
        mine = [line for line in lines if line.startswith(f"  ok    {label} (")]
        assert len(mine) == 1 and mine[0].startswith(f"  ok    {label} ({vendor}): reachable")
    assert lines[-1] == "11 systems, all ok."
    assert not any(s in done.stdout + done.stderr for s in drill.secrets())


def test_the_briefing_is_the_same_with_every_vendor_connected(drill: Drill, tmp_path: Path) -> None:
    ask = ("ask", "brief me on Acme", "--as", DANA)
    demo = crosswire(tmp_path / "demo" / ".crosswire", *ask)
    vendors = crosswire(drill.state, *ask, env=drill.env | {"CROSSWIRE_LOG_LEVEL": "DEBUG"})
    assert demo.returncode == vendors.returncode == 0, vendors.stderr
    for section in ("Owner: Dana Reyes", "Overdue: INV-", "P1 org-", "Recent email  [from"):
        assert section in vendors.stdout
    assert without_run_details(vendors.stdout) == without_run_details(demo.stdout)
    secrets = drill.secrets()
    assert not any(s in vendors.stdout + vendors.stderr for s in secrets)
    for stored in drill.state.iterdir():
        if stored.is_file():
            content = stored.read_bytes()
            assert not any(s.encode() in content for s in secrets), stored.name


def test_the_drill_never_writes_over_a_crosswire_toml_of_its_own_folder(tmp_path: Path) -> None:
    mine = tmp_path / "crosswire.toml"
    mine.write_text('[connectors.stripe]\nbase_url = "https://api.stripe.com"\n')
    done = crosswire(tmp_path / ".crosswire", "demo", "standins", "--write", ".")
    assert done.returncode == 2
    assert "crosswire.toml exists and was not written by `crosswire demo standins`" in (done.stderr)
    assert mine.read_text() == '[connectors.stripe]\nbase_url = "https://api.stripe.com"\n'

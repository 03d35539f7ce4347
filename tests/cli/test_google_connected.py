"""Gmail and Google Calendar connected through configuration alone, as a user does it:
crosswire.toml names the Google stand-in and the delegated subject, GOOGLE_APPLICATION_CREDENTIALS
points at the service account's key file (a key pair made by the test). `crosswire connectors
check` says the right thing healthy and broken, the Acme briefing comes out the same as from
the demo mailbox and calendar, and the key shows nowhere: not in the output, the logs or the
state directory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.demo import open_demo_world
from connectors.google.standin import GoogleStandIn
from tests.cli.processes import crosswire
from tests.cli.test_stripe_connected import without_run_details
from tests.connectors.google_env import DANA, SERVICE_ACCOUNT, key_pair, write_key_file
from workflows.clock import SystemClock


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[GoogleStandIn]:
    world = await open_demo_world(tmp_path / "seed.sqlite", clock=SystemClock())
    server = GoogleStandIn(
        public_key=key_pair().public_key(), client_email=SERVICE_ACCOUNT, subjects=[DANA]
    )
    with server:
        await server.seed_from(world)
        await world.close()
        yield server


def connect(
    folder: Path, standin: GoogleStandIn, subject: str = DANA
) -> tuple[Path, dict[str, str]]:
    """``folder`` set up to use the stand-in as Gmail and Calendar; the state directory and
    the environment that points at the key file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crosswire.toml").write_text(
        "[connectors.google]\n"
        f'subject = "{subject}"\n'
        f'token_url = "{standin.token_url}"\n'
        f'gmail_url = "{standin.url}"\n'
        f'calendar_url = "{standin.url}"\n'
    )
    key_file = write_key_file(folder)
    return folder / ".crosswire", {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}


def private_key_lines(env: dict[str, str]) -> list[str]:
    raw = json.loads(Path(env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())
    return [line for line in raw["private_key"].splitlines() if "-----" not in line]


def test_check_says_gmail_and_calendar_serve_email_and_calendar(
    tmp_path: Path, standin: GoogleStandIn
) -> None:
    state, env = connect(tmp_path, standin)
    done = crosswire(state, "connectors", "check", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  ok    Mailbox (google): reachable and authorised; 2 reads, 1 write." in lines
    assert "  ok    Calendar (google): reachable and authorised; 2 reads, 2 writes." in lines
    assert not any("(demo)" in line and ("Mailbox" in line or "Calendar" in line) for line in lines)
    assert not any(line in done.stdout for line in private_key_lines(env))


def test_check_says_an_undelegated_subject_plainly_without_the_key(
    tmp_path: Path, standin: GoogleStandIn
) -> None:
    state, env = connect(tmp_path, standin, subject="eve@northwind.example")
    done = crosswire(state, "connectors", "check", env=env)
    assert done.returncode == 1
    assert (
        "  FAIL  Mailbox (google): reachable but NOT AUTHORISED: Google's token service refused "
        "the service account's credentials: the key may be revoked, or not delegated for "
        "eve@northwind.example"
    ) in done.stdout.splitlines()
    shown = done.stdout + done.stderr
    assert not any(line in shown for line in private_key_lines(env))


def test_check_says_a_missing_key_file_and_a_dead_google(
    tmp_path: Path, standin: GoogleStandIn
) -> None:
    state, _ = connect(tmp_path / "a", standin)
    missing = crosswire(state, "connectors", "check")
    assert "Mailbox (google): NOT REACHABLE: GOOGLE_APPLICATION_CREDENTIALS is not set" in (
        missing.stdout
    )
    standin.close()  # nobody answers at its address any more
    state, env = connect(tmp_path / "b", standin)
    dead = crosswire(state, "connectors", "check", env=env)
    assert dead.returncode == 1
    assert (
        "Calendar (google): NOT REACHABLE: Google's token service cannot be reached "
        "(connection failed)" in dead.stdout
    )


def test_the_briefing_is_the_same_with_gmail_and_calendar(
    tmp_path: Path, standin: GoogleStandIn
) -> None:
    ask = ("ask", "brief me on Acme", "--as", DANA)
    demo = crosswire(tmp_path / "demo" / ".crosswire", *ask)
    state, env = connect(tmp_path / "google", standin)
    google = crosswire(state, *ask, env=env | {"CROSSWIRE_LOG_LEVEL": "DEBUG"})
    assert demo.returncode == google.returncode == 0, google.stderr
    assert without_run_details(google.stdout) == without_run_details(demo.stdout)
    paths = {s.path for s in standin.seen}
    assert "/gmail/v1/users/me/threads" in paths
    secret = private_key_lines(env)
    assert not any(line in google.stdout + google.stderr for line in secret)
    for stored in state.iterdir():
        if stored.is_file():
            content = stored.read_bytes()
            assert not any(line.encode() in content for line in secret), stored.name

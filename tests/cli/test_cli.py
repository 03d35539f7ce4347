"""The ``crosswire`` command as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

DANA = "dana.reyes@northwind.example"


def crosswire(
    state: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROSSWIRE_"))
    }
    environment.update({"CROSSWIRE_STATE_DIR": str(state), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=state.parent,
        check=False,
    )


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "state"


def test_ask_prints_a_sourced_briefing(state: Path) -> None:
    # progress lines are for a person watching (console logs); JSON logs keep stderr JSON-only
    env = {"CROSSWIRE_LOG_FORMAT": "console"}
    done = crosswire(state, "ask", "brief me on Acme before my 2pm", "--as", DANA, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Briefing: Acme Corporation (acme.io)")
    for source in ("CRM", "Mailbox", "Support desk", "Contracts", "Product usage", "Billing"):
        assert f"[from {source}]" in done.stdout
    assert "Watch out for:" in done.stdout
    assert "Gathering Acme" in done.stderr and "from 6 systems" in done.stderr


def test_ask_json_and_the_audit_agree(state: Path) -> None:
    done = crosswire(state, "ask", "what's going on with ACME?", "--as", DANA, "--json")
    assert done.returncode == 0, done.stderr
    briefing = json.loads(done.stdout)
    assert briefing["kind"] == "briefing" and briefing["account"]["domain"] == "acme.io"
    listed = json.loads(crosswire(state, "audit", "list", "--json").stdout)
    assert briefing["run_id"] in [run["run_id"] for run in listed]
    shown = crosswire(state, "audit", "show", briefing["run_id"][:10], "--json")
    detail = json.loads(shown.stdout)
    steps = [e for e in detail["events"] if e["kind"] == "step"]
    assert {s["system"] for s in steps} == {
        "directory",
        "crm",
        "email",
        "support",
        "contracts",
        "usage",
        "billing",
    }
    assert detail["run"]["status"] == "completed"


def test_a_system_that_is_down_costs_only_its_section(state: Path) -> None:
    done = crosswire(
        state,
        "ask",
        "brief acme.io",
        "--as",
        DANA,
        env={"CROSSWIRE_DEMO_FAULTS": "billing=error", "CROSSWIRE_STEP_ATTEMPTS": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "[unavailable] Billing" in done.stdout
    assert "Account & deals  [from CRM]" in done.stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("ask", "brief me on Globex", "--as", DANA), 1, "couldn't find a customer"),
        (("ask", "brief me on Acme", "--as", "nobody@example.com"), 2, "nobody with the email"),
        (("ask", "order me a pizza", "--as", DANA), 0, "I build customer briefings"),
        (("audit", "show", "no-such-run"), 1, "no run 'no-such-run'"),
    ],
)
def test_bad_input_gets_a_clear_answer(
    state: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    done = crosswire(state, *args)
    assert done.returncode == code
    assert says in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_setting_is_named(state: Path) -> None:
    done = crosswire(
        state, "ask", "brief me on Acme", "--as", DANA, env={"CROSSWIRE_DEMO_LATENCY": "crm=fast"}
    )
    assert done.returncode != 0
    assert "crm" in done.stderr and "Traceback" not in done.stderr


def test_ask_prints_slack_markup_as_terminal_text(state: Path) -> None:
    done = crosswire(state, "ask", "order me a pizza", "--as", DANA)
    assert done.returncode == 0, done.stderr
    assert "*" not in done.stdout and "&amp;" not in done.stdout
    assert "\x1b[" not in done.stdout  # not a terminal: no ANSI styles


def test_audit_list_has_a_header_and_times_with_their_zone(state: Path) -> None:
    crosswire(state, "ask", "brief me on Acme", "--as", DANA)
    utc = crosswire(state, "audit", "list", env={"TZ": "UTC"}).stdout.splitlines()
    assert utc[0].split() == ["RUN", "STARTED", "STATUS", "TRIGGER", "REQUESTER", "OBJECTIVE"]
    assert all(" UTC " in row for row in utc[1:]) and len(utc) > 1
    tokyo = crosswire(state, "audit", "list", env={"TZ": "Asia/Tokyo"}).stdout.splitlines()
    assert all(" JST " in row for row in tokyo[1:])


def run_into_a_closed_pipe(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``crosswire ARGS | head -0``: the reader has gone before the command writes a line."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CROSSWIRE_")}
    try:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=environment | {"CROSSWIRE_STATE_DIR": str(state)},
            cwd=state.parent,
            check=False,
        )
    finally:
        os.close(write_end)


def test_a_reader_that_stops_early_ends_the_command_quietly(state: Path) -> None:
    crosswire(state, "ask", "brief me on Acme", "--as", DANA)
    listing = run_into_a_closed_pipe(state, "audit", "list")
    assert (listing.returncode, listing.stderr) == (141, "")


def test_a_match_whose_reader_stops_early_ends_quietly(state: Path, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("id,name,email\n1,Ann Lee,ann@x.example\n2,Ann Lee,ann@x.example\n")
    links = tmp_path / "links.csv"
    matched = run_into_a_closed_pipe(state, "identity", "match", str(people), "--out", str(links))
    assert (matched.returncode, matched.stderr) == (141, "")
    assert links.read_text().startswith("left_id,right_id,score")


def test_audit_show_never_cuts_a_value_without_saying_so(state: Path) -> None:
    objective = "brief me on Acme " + "with every detail you can find " * 12
    asked = crosswire(state, "ask", objective, "--as", DANA, "--json")
    run_id = json.loads(asked.stdout)["run_id"]
    shown = crosswire(state, "audit", "show", run_id, env={"TZ": "UTC"}).stdout
    assert f"objective  {objective.strip()}" in shown
    assert "started    " in shown and " UTC " in shown
    assert "(delivered)" in shown  # printed, so it reached the person who asked
    for line in shown.splitlines():
        assert '{"' not in line or line.endswith(("}", "…"))


def test_version_names_the_installed_release(state: Path) -> None:
    done = crosswire(state, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"crosswire {version('crosswire')}"

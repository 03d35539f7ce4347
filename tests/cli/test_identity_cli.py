"""``crosswire identity show|same|different`` and the email-only briefing, as a user runs
them: real processes on one state folder (its SQLite audit database holds the graph)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.processes import crosswire

DANA = "dana.reyes@northwind.example"
RACHEL = "rachel.kim@northwind.example"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity") / "state"


def test_show_prints_an_entity_with_its_records_and_why(state: Path) -> None:
    done = crosswire(state, "identity", "show", "Acme")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Acme Corporation (company company:crm:acct-0001, confidence 1.00)"
    records = lines[lines.index("  Records:") + 1 : lines.index("  Why:")]
    assert [line.split()[0] for line in records] == [
        "crm", "billing", "contracts", "email", "support", "usage"
    ]  # fmt: skip
    assert "    support    org-1042" in done.stdout and "ACME Corp." in done.stdout
    assert "crm:acct-0001 = support:org-1042: 100.0%, agreed company=exact" in done.stdout
    assert "crm:acct-0001 = usage:acme-io: 100.0%, agreed domain=exact" in done.stdout


def test_show_finds_a_person_by_email_and_refuses_the_unknown(state: Path) -> None:
    done = crosswire(state, "identity", "show", "alex.morgan@acme.io")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Alex Morgan (person ")
    assert "email=exact" in done.stdout
    unknown = crosswire(state, "identity", "show", "Initech")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("crosswire: No customer or record is called 'Initech'.")
    assert "Traceback" not in unknown.stderr


def test_different_splits_the_entity_for_good_and_is_audited(state: Path) -> None:
    done = crosswire(state, "identity", "different", "Acme", "support:org-1042", "--as", RACHEL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"Recorded: crm:acct-0001 and support:org-1042 are not the same (by {RACHEL})."
    )
    assert "ACME Corp. (company company:support:org-1042, confidence 1.00)" in done.stdout
    shown = crosswire(state, "identity", "show", "Acme")  # a new process: the graph reloaded
    assert "org-1042" not in shown.stdout.split("  Overrides:")[0]
    assert "crm:acct-0001 and support:org-1042: not the same" in shown.stdout
    stranger = crosswire(state, "identity", "same", "Acme", "support:org-1042", "--as", "x@y.io")
    assert stranger.returncode == 2
    assert stranger.stderr == "crosswire: x@y.io is not in the company directory.\n"
    with sqlite3.connect(state / "crosswire.db") as db:
        rows = db.execute(
            "SELECT json_extract(detail, '$.outcome'), json_extract(detail, '$.by') "
            "FROM audit_events WHERE kind = 'identity_override' ORDER BY id"
        ).fetchall()
    assert rows == [("recorded", RACHEL), ("refused", "x@y.io")]


def test_a_contact_known_by_email_gets_the_briefing(state: Path) -> None:
    done = crosswire(state, "ask", "prep me for my call with alex.morgan@acme.io", "--as", DANA)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Briefing: Acme Corporation (acme.io)")

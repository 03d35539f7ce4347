"""Access control from the terminal: ``crosswire ask … --as EMAIL`` answers with the asker's
access, and ``crosswire audit show`` records a refusal with its rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import DANA, crosswire

RACHEL = "rachel.kim@northwind.example"
REFUSAL = "You don't have access to Blue Harbor Logistics; its owner is Marcus Chen."


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("access") / "state"


def test_a_rep_is_refused_an_account_outside_her_territory(state: Path) -> None:
    done = crosswire(state, "ask", "how is Blue Harbor doing?", "--as", DANA, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    notice = json.loads(done.stdout)
    assert (notice["kind"], notice["reason"], notice["text"]) == ("notice", "not_allowed", REFUSAL)
    assert "Traceback" not in done.stderr
    shown = crosswire(state, "audit", "show", notice["run_id"])
    assert shown.returncode == 0, shown.stderr
    assert "access rule: territory" in shown.stdout and "acct-0002" in shown.stdout
    detail = json.loads(crosswire(state, "audit", "show", notice["run_id"], "--json").stdout)
    assert [e["kind"] for e in detail["events"] if e["kind"] in ("step", "access")] == ["access"]


def test_her_manager_is_briefed_on_it(state: Path) -> None:
    done = crosswire(state, "ask", "how is Blue Harbor doing?", "--as", RACHEL, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    briefing = json.loads(done.stdout)
    assert briefing["kind"] == "briefing"
    assert briefing["account"]["name"] == "Blue Harbor Logistics"


def test_a_rep_on_a_deal_team_sees_the_account_without_its_billing_amounts(state: Path) -> None:
    done = crosswire(state, "ask", "brief me on Lumen & Oak", "--as", DANA, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    briefing = json.loads(done.stdout)
    assert briefing["account"]["name"] == "Lumen & Oak Interiors"
    billing = next(s for s in briefing["sections"] if s["key"] == "billing")
    assert billing["status"] == "ok" and "$" not in json.dumps(billing)

"""The README's ``crosswire ask`` examples, and what people type, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import DANA, crosswire
from tests.readme import action_examples, ask_examples, chat_examples


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples") / "state"


@pytest.mark.parametrize("example", sorted({*ask_examples(), *chat_examples()}))
def test_every_readme_example_briefs_from_the_cli(state: Path, example: str) -> None:
    done = crosswire(state, "ask", example, "--as", DANA, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    assert answer["kind"] == "briefing", answer
    assert answer["account"]["name"] in {
        "Acme Corporation",
        "Quantum Freight Inc.",
        "Lumen & Oak Interiors",
    }


@pytest.mark.parametrize(
    ("objective", "code", "says"),
    [
        ("email Acme the contract", 1, "I can't do that yet"),
        ("brief me on Acme and Quantum Freight", 1, "Which one first?"),
        ("how is Blue Harbor doing?", 1, "its owner is Marcus Chen"),
        ("thanks!", 0, "You're welcome"),
        ("help", 0, "English only"),
    ],
)
def test_what_is_not_a_briefing_is_said_plainly(
    state: Path, objective: str, code: int, says: str
) -> None:
    done = crosswire(state, "ask", objective, "--as", DANA)
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("example", action_examples())
def test_the_action_example_waits_for_an_approval_from_the_cli(state: Path, example: str) -> None:
    # --yes: with no terminal to ask "Run? [y/N]", the plan runs only when told to
    done = crosswire(state, "ask", example, "--as", DANA, "--json", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    approval = json.loads(done.stdout)
    assert approval["status"] == "pending"
    assert approval["operation"] == "email.send"
    assert approval["approvers"] == ["rachel.kim@northwind.example"]
    assert len(approval["items"]) >= 8
    listed = crosswire(state, "approvals", "list", "--as", "rachel.kim@northwind.example", "--json")
    assert listed.returncode == 0, listed.stderr
    assert approval["id"] in listed.stdout
    outbox = crosswire(state, "demo", "outbox", "--json")
    assert outbox.returncode == 0, outbox.stderr
    assert json.loads(outbox.stdout) == []  # nothing is sent before someone decides

"""The README's ``crosswire ask`` examples, and what people type, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import DANA, crosswire
from tests.readme import ask_examples, chat_examples


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
        "Blue Harbor Logistics",
        "Lumen & Oak Interiors",
    }


@pytest.mark.parametrize(
    ("objective", "code", "says"),
    [
        ("email Acme the contract", 1, "I can't do that yet"),
        ("brief me on Acme and Blue Harbor", 1, "Which one first?"),
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

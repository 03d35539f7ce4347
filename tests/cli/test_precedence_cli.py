"""When systems disagree, from the terminal: a briefing shows the winning value and names
the system that says otherwise; a precedence file flips the winner; a bad one is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import DANA, crosswire

FLIPPED = '[fields.renewal_date]\norder = ["crm", "contracts"]\n'
FLIPPED += '[fields.phone]\norder = ["support", "crm"]\n'
RENEWS = re.compile(r"renews \(no auto-renewal\) (\w+ \d+) \(in (\d+) days\)")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("precedence") / "state"


def briefing(state: Path, subject: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = crosswire(state, "ask", f"brief me on {subject}", "--as", DANA, "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    assert answer["kind"] == "briefing"
    return answer


def facts(answer: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return next(s["facts"] for s in answer["sections"] if s["key"] == key)


def test_the_contract_wins_the_renewal_date_and_the_crm_is_named(state: Path) -> None:
    contract = facts(briefing(state, "Quantum Freight"), "contracts")[0]
    assert contract["source"] == "contracts"
    found = RENEWS.search(contract["text"])
    assert found is not None, contract["text"]
    said = re.search(r"\(Contracts; CRM says (\w+ \d+)\)$", contract["text"])
    assert said is not None, contract["text"]
    assert said.group(1) != found.group(1)


def test_the_crm_wins_the_phone_and_the_support_desk_is_named(state: Path) -> None:
    crm = facts(briefing(state, "Northgate Properties"), "crm")
    phone = next(f for f in crm if f["text"].startswith("Phone: "))
    assert phone["source"] == "crm"
    number = r"\+1\d{3}55501\d\d"
    assert re.fullmatch(rf"Phone: {number} \(CRM; Support desk says \+19075550113\)", phone["text"])


def test_an_account_whose_systems_agree_shows_no_disagreement(state: Path) -> None:
    answer = briefing(state, "Crescent Hotels")
    texts = [f["text"] for key in ("crm", "contracts") for f in facts(answer, key)]
    assert not any(" says " in t for t in texts), texts


def test_a_precedence_file_flips_both_winners(state: Path, tmp_path: Path) -> None:
    flipped = tmp_path / "precedence.toml"
    flipped.write_text(FLIPPED)
    env = {"CROSSWIRE_PRECEDENCE_FILE": str(flipped)}
    contract = facts(briefing(state, "Quantum Freight", env), "contracts")[0]
    assert contract["source"] == "crm"
    assert re.search(r"\(CRM; Contracts says \w+ \d+\)$", contract["text"]), contract["text"]
    crm = facts(briefing(state, "Northgate Properties", env), "crm")
    phone = next(f for f in crm if f["text"].startswith("Phone: "))
    assert phone["source"] == "support"
    assert phone["text"].startswith("Phone: +19075550113 (Support desk; CRM says +1"), phone


def test_a_bad_precedence_file_is_refused_plainly(state: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[fields.phone]\norder = ["crm", "crm"]\n')
    env = {"CROSSWIRE_PRECEDENCE_FILE": str(bad)}
    done = crosswire(state, "ask", "brief me on Northgate Properties", "--as", DANA, env=env)
    assert done.returncode != 0
    assert f"precedence file {bad}: fields.phone: lists crm more than once" in done.stderr
    assert "Traceback" not in done.stderr

"""``crosswire connectors check`` as a user runs it: every connected system in plain words,
healthy and broken, and a connectors table that cannot work refused before anything opens."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.processes import crosswire


def test_the_demo_systems_are_reachable_and_say_what_they_can_do(tmp_path: Path) -> None:
    done = crosswire(tmp_path / ".crosswire", "connectors", "check")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  ok    CRM (demo): reachable and authorised; 6 reads, 4 writes." in lines
    assert "  ok    Billing (demo): reachable and authorised; 2 reads, 2 writes." in lines
    assert lines[-1] == "11 systems, all ok."
    assert all(line.startswith("  ok  ") for line in lines[:-1])


def test_a_broken_system_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    faults = {"CROSSWIRE_DEMO_FAULTS": "support=error,billing=timeout"}
    done = crosswire(tmp_path / ".crosswire", "connectors", "check", "--json", env=faults)
    assert done.returncode == 1, done.stderr
    rows = {row["system"]: row for row in json.loads(done.stdout)}
    assert rows["support"]["reachable"] is False
    assert rows["support"]["problem"].startswith("The support desk is not responding (503")
    assert rows["billing"]["problem"].startswith("The billing system does not answer")
    assert rows["crm"] | {"note": ""} == {
        "system": "crm", "label": "CRM", "connector": "demo", "reachable": True,
        "authorised": True, "reads": 6, "writes": 4, "problem": "", "note": "",
    }  # fmt: skip


def test_a_rate_limit_that_cannot_work_is_refused_plainly(tmp_path: Path) -> None:
    (tmp_path / "crosswire.toml").write_text(
        "[connectors.rate_limits]\nbilling = { per_second = 0 }\n"
    )
    done = crosswire(tmp_path / ".crosswire", "connectors", "check")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "crosswire: crosswire.toml [connectors] rate_limits.billing.per_second: "
        "Input should be greater than 0"
    )
    assert "Traceback" not in done.stderr

"""``crosswire ask`` and an objective that fits several customers: on a terminal it asks
which one with a numbered prompt and briefs on the one chosen; from a pipe it prints the
question with a hint to name the customer more precisely, and exits as for other notices.
Each as its own process, on SQLite."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.cli.processes import clean_environment, crosswire, prepared
from tests.cli.test_ask_preview import WITHIN_S, read_until

RACHEL = "rachel.kim@northwind.example"


def test_without_a_terminal_it_prints_the_question_and_a_hint(tmp_path: Path) -> None:
    done = crosswire(tmp_path / "state", "ask", "brief me on Summit", "--as", RACHEL)

    assert done.returncode == 1, done.stderr
    assert "1. Summit Financial Group\n  2. Summit Health Systems\n  3. None of these" in (
        done.stderr
    )
    assert "name the customer more precisely, e.g. `brief me on Summit" in done.stderr
    assert "No customer chosen, so nothing was done." in done.stdout


def test_on_a_terminal_the_number_chosen_is_briefed_on(tmp_path: Path) -> None:
    state = tmp_path / "state"
    prepared(state, None)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "brief me on Summit", "--as", RACHEL],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=clean_environment(state, {}),
        cwd=state.parent,
    )
    os.close(follower)
    try:
        seen = read_until(leader, b"Which one? [1-3]")
        assert b"2. Summit Health Systems" in seen
        os.write(leader, b"2\n")
        seen += read_until(leader, b"Billing")
        assert process.wait(timeout=WITHIN_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    answer = seen.split(b"Which one? [1-3]", 1)[1].decode()
    assert "Summit Health Systems" in answer
    assert "Summit Financial Group" not in answer

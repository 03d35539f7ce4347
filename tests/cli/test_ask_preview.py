"""``crosswire ask`` and a plan that writes: on a terminal it shows the plan and asks
``Run? [y/N]``; with ``--yes`` it runs without asking; from a pipe without ``--yes`` it does
nothing and says to pass ``--yes``. Each as its own process, on SQLite."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.processes import clean_environment, crosswire, prepared
from tests.readme import action_examples

[OBJECTIVE] = action_examples()  # the README's, as written
DANA = "dana.reyes@northwind.example"
PREVIEWS = {"CROSSWIRE_PREVIEWS": "on"}
WITHIN_S = 120.0


def outbox(state: Path) -> list[object]:
    done = crosswire(state, "demo", "outbox", "--json")
    assert done.returncode == 0, done.stderr
    sent: list[object] = json.loads(done.stdout)
    return sent


def test_without_a_terminal_or_yes_nothing_is_done_and_it_says_to_pass_yes(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    done = crosswire(state, "ask", OBJECTIVE, "--as", DANA, env=PREVIEWS)

    assert done.returncode == 2, done.stderr
    assert "pass --yes" in done.stderr
    assert "7. Follow-up emails, in Mailbox (needs approval by Rachel Kim)" in done.stderr
    assert done.stdout == ""
    assert outbox(state) == []
    listed = crosswire(state, "approvals", "list", "--json")
    assert listed.returncode == 0 and "prv-" not in listed.stdout


def test_with_yes_the_run_goes_on_to_its_approval(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = crosswire(state, "ask", OBJECTIVE, "--as", DANA, "--yes", env=PREVIEWS)

    assert done.returncode == 0, done.stderr
    assert "waits for approval" in done.stdout
    assert "Run?" not in done.stderr
    assert outbox(state) == []


def test_on_a_terminal_it_asks_and_runs_on_y(tmp_path: Path) -> None:
    state = tmp_path / "state"
    prepared(state, None)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", OBJECTIVE, "--as", DANA],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=clean_environment(state, PREVIEWS),
        cwd=state.parent,
    )
    os.close(follower)
    try:
        seen = read_until(leader, b"Run? [y/N]")
        assert b"needs approval by Rachel Kim" in seen
        os.write(leader, b"y\n")
        seen += read_until(leader, b"waits for approval")
        assert process.wait(timeout=WITHIN_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert outbox(state) == []


def read_until(fd: int, wanted: bytes) -> bytes:
    """What the terminal shows until ``wanted`` appears in it."""
    seen, deadline = b"", time.monotonic() + WITHIN_S
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, seen.decode(errors="replace")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the process ended
                break
            seen += chunk
    assert wanted in seen, seen.decode(errors="replace")
    return seen

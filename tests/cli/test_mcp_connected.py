"""An MCP server connected through crosswire.toml alone, as the README says: the README's own
table, with the demo help desk started over stdio, and `crosswire connectors check` prints
the README's line; the token given in the environment shows nowhere; a server that is not
there, or whose secret is not set, is named with what is wrong, and nothing crashes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.cli.processes import crosswire
from tests.readme import README

TOKEN = "desk-token-9c1e55b2"


def readme_example() -> tuple[str, str]:
    """The README's MCP table and the line it says `connectors check` prints."""
    text = README.read_text()
    section = text[text.index("### An MCP server as a system\n") :]
    section = section[: section.index("\nEvery call to every system")]
    table = re.search(r"```toml\n(.*?)```", section, re.S)
    printed = re.search(r"```\n(  ok .*?)\n```", section, re.S)
    assert table and printed
    return table.group(1), printed.group(1)


def in_project_folder(tmp_path: Path, table: str) -> Path:
    """A folder laid out as the project's (its .venv), holding ``table`` as crosswire.toml."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "crosswire.toml").write_text(table)
    return tmp_path / ".crosswire"


def test_the_readme_example_connects_the_help_desk(tmp_path: Path) -> None:
    table, printed = readme_example()
    state = in_project_folder(tmp_path, table)
    done = crosswire(state, "connectors", "check", env={"DESK_TOKEN": TOKEN})
    assert done.returncode == 0, done.stdout + done.stderr
    assert printed in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1] == "12 systems, all ok."
    assert TOKEN not in done.stdout + done.stderr


def test_a_missing_secret_and_an_absent_server_are_named(tmp_path: Path) -> None:
    table, _ = readme_example()
    table += '\n[connectors.mcp.wiki]\nurl = "http://127.0.0.1:9/mcp"\ntimeout_s = 5\n'
    state = in_project_folder(tmp_path, table)
    done = crosswire(state, "connectors", "check", "--json")
    assert done.returncode == 1, done.stderr
    rows = {row["system"]: row for row in json.loads(done.stdout)}
    assert (rows["desk"]["reachable"], rows["desk"]["problem"]) == (
        False, "DESK_TOKEN not set, so the Help desk MCP server was not started"
    )  # fmt: skip
    assert (
        rows["wiki"]["problem"] == "The wiki MCP server could not be reached (connection refused)"
    )
    assert rows["crm"]["reachable"] is True
    assert "Traceback" not in done.stderr


def test_a_table_that_cannot_work_is_refused_plainly(tmp_path: Path) -> None:
    (tmp_path / "crosswire.toml").write_text('[connectors.mcp.desk]\nlabel = "Help desk"\n')
    done = crosswire(tmp_path / ".crosswire", "connectors", "check")
    assert done.returncode == 2
    assert "crosswire.toml [connectors] mcp.desk" in done.stderr
    assert "give either command = [...]" in done.stderr
    assert "Traceback" not in done.stderr

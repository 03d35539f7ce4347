"""Settings that cannot work, as a user meets them: ``crosswire serve``, ``ask`` and ``audit``
each print one line naming the setting and what is wrong, and exit 2; no traceback. The forms
of ``CROSSWIRE_DATABASE_URL`` people write all work."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.processes import crosswire, free_port
from tests.postgres_server import POSTGRES_SERVER, create_database, drop_database

DANA = "dana.reyes@northwind.example"
COMMANDS = {
    "serve": ("serve", "--no-chat", "--host", "127.0.0.1", "--port", "0"),
    "ask": ("ask", "brief me on Acme", "--as", DANA),
    "audit": ("audit", "list"),
}
SERVER_AUTHORITY = POSTGRES_SERVER.split("://", 1)[1]  # user@host:port
SERVER_HOST = SERVER_AUTHORITY.rsplit("@", 1)[-1]


def refuses(state: Path, command: str, env: dict[str, str], *, names: str, says: str) -> str:
    """Run ``command`` with ``env``; it must exit 2 with one line naming ``names``."""
    done = crosswire(state, *COMMANDS[command], env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"crosswire: {names}"), line
    assert says in line, line
    return line


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def closed_port() -> Iterator[int]:
    yield free_port()


@pytest.fixture(scope="module")
def postgres_database_name() -> Iterator[str]:
    """One database on the local server for this module's tests (or they skip without one):
    the URL-form tests each find their own run in it, whichever of them gave it its first
    start; the others only need the server to be there."""
    name = asyncio.run(create_database())
    yield name
    asyncio.run(drop_database(name))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root@db/crosswire", "unsupported database 'mysql'"),
        ("not a url", "not a database URL"),
        ("sqlite://", "names no file"),
        ("postgresql+pg8000://u@h/d", "unsupported driver 'pg8000'"),
        ("sqlite:////dev/null/crosswire.db", "/dev/null is not a folder"),
    ],
)
def test_an_unusable_database_url_is_one_line(
    state: Path, command: str, url: str, says: str
) -> None:
    refuses(
        state, command, {"CROSSWIRE_DATABASE_URL": url}, names="CROSSWIRE_DATABASE_URL", says=says
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_refused_connection_is_named_without_the_password(
    state: Path, command: str, closed_port: int
) -> None:
    url = f"postgres://crosswire:hunter2@127.0.0.1:{closed_port}/crosswire"
    line = refuses(
        state,
        command,
        {"CROSSWIRE_DATABASE_URL": url},
        names="CROSSWIRE_DATABASE_URL",
        says=f"cannot connect to 127.0.0.1:{closed_port} (connection refused)",
    )
    assert "hunter2" not in line


def test_a_state_folder_that_cannot_exist_is_named(tmp_path: Path) -> None:
    refuses(
        tmp_path / "state",
        "ask",
        {"CROSSWIRE_STATE_DIR": "/dev/null/state"},
        names="CROSSWIRE_STATE_DIR",
        says="/dev/null is not a folder",
    )


@pytest.mark.postgres
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_database_that_does_not_exist_is_named(
    state: Path, command: str, postgres_database_name: str
) -> None:
    missing = f"crosswire_missing_{uuid.uuid4().hex[:8]}"
    refuses(
        state,
        command,
        {"CROSSWIRE_DATABASE_URL": f"{POSTGRES_SERVER}/{missing}"},
        names="CROSSWIRE_DATABASE_URL",
        says=f'database "{missing}" does not exist on {SERVER_HOST}',
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("env", "names", "says"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxb-1-2"},
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET",
            "or unset SLACK_BOT_TOKEN for the local sandbox",
        ),
        (
            {"SLACK_SIGNING_SECRET": "0123abcd"},
            "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not",
            "set SLACK_BOT_TOKEN (xoxb-",
        ),
        (
            {"SLACK_APP_TOKEN": "xapp-1-2"},
            "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not",
            "set SLACK_BOT_TOKEN",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"},
            "SLACK_BOT_TOKEN: should start with xoxb-",
            "Bot User OAuth Token",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-1"},
            "SLACK_APP_TOKEN: should start with xapp-",
            "connections:write",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "slack"},
            "SLACK_API_URL: should be an http:// or https:// URL",
            "https://slack.com/api/",
        ),
    ],
)
def test_incomplete_slack_settings_are_named(
    state: Path, command: str, env: dict[str, str], names: str, says: str
) -> None:
    line = refuses(state, command, env, names=names, says=says)
    for secret in ("xoxb-1-2", "0123abcd", "xapp-1-2", "xoxp-user-token"):
        assert secret not in line


def test_an_empty_slack_variable_counts_as_unset(state: Path) -> None:
    done = crosswire(state, *COMMANDS["audit"], env={"SLACK_SIGNING_SECRET": ""})
    assert done.returncode == 0, done.stderr


def test_a_sandbox_port_already_in_use_is_one_line(state: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = crosswire(state, "serve", "--no-chat", "--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"crosswire: port {port} is already in use; choose another with --port"
    )


@pytest.mark.parametrize(
    "url",
    ["sqlite:///audit.db", "sqlite:///{state}/audit-abs.db", "sqlite+aiosqlite:///audit-a.db"],
)
def test_the_sqlite_forms_people_write_work(state: Path, url: str) -> None:
    url = url.format(state=state.parent.absolute())
    done = crosswire(state, *COMMANDS["ask"], "--json", env={"CROSSWIRE_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    file = Path(url.split(":///", 1)[1])
    assert (file if file.is_absolute() else state.parent / file).exists()
    listed = crosswire(state, "audit", "list", "--json", env={"CROSSWIRE_DATABASE_URL": url})
    assert run_id in [run["run_id"] for run in json.loads(listed.stdout)]


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_the_postgresql_forms_people_write_work(
    state: Path, scheme: str, postgres_database_name: str
) -> None:
    env = {"CROSSWIRE_DATABASE_URL": f"{scheme}://{SERVER_AUTHORITY}/{postgres_database_name}"}
    done = crosswire(state, *COMMANDS["ask"], "--json", env=env)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    listed = crosswire(state, "audit", "list", "--json", env=env)
    assert run_id in [run["run_id"] for run in json.loads(listed.stdout)]
    assert not (state / "dbos.sqlite").exists(), "DBOS must share the PostgreSQL database"


def test_a_config_file_that_is_not_toml_is_one_line(state: Path) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    (state.parent / "crosswire.toml").write_text('database_url = "sqlite:///a.db\n')
    done = crosswire(state, *COMMANDS["audit"])
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("crosswire: crosswire.toml: ")


def test_a_bad_value_in_the_config_file_names_the_setting(state: Path) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    (state.parent / "crosswire.toml").write_text('database_url = "mysql://root@db/crosswire"\n')
    refuses(state, "audit", {}, names="CROSSWIRE_DATABASE_URL", says="unsupported database")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CROSSWIRE_LOG_LEVEL", "loud", "should be one of DEBUG, INFO"),
        ("CROSSWIRE_LOG_FORMAT", "xml", "'auto', 'json' or 'console'"),
        ("CROSSWIRE_EXECUTOR_ID", " ", "should not be empty"),
        ("CROSSWIRE_STEP_TIMEOUT", "-1", "greater than 0"),
    ],
)
def test_other_settings_are_named_too(state: Path, name: str, value: str, says: str) -> None:
    refuses(state, "audit", {name: value}, names=name, says=says)


def test_a_port_out_of_range_is_refused_by_the_command_line(state: Path) -> None:
    done = crosswire(state, "serve", "--no-chat", "--port", "99999")
    assert done.returncode == 2
    assert "argument --port: '99999' is not a port (0 to 65535)" in done.stderr
    assert "Traceback" not in done.stderr

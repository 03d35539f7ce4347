"""Logs as an operator reads them: with JSON logging every line on stderr is one JSON object
(DBOS's and tracebacks included), and no secret is ever written down."""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from bot.logging import DBOS_CONSOLE_HANDLER, configure_logging
from bot.sandbox import payloads
from bot.settings import Settings
from tests.cli.processes import clean_environment, crosswire, prepared
from tests.harness import CHANNEL, start_harness
from tests.harness import DANA as DANA_ID

DANA = "dana.reyes@northwind.example"
TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every non-empty line parsed as JSON (a line that is not fails the test here)."""
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the process's logging back as it was after a test that configures it."""
    root, dbos = logging.getLogger(), logging.getLogger("dbos")
    saved = (root.handlers[:], root.level, dbos.handlers[:], dbos.propagate, sys.excepthook)
    thread_hook = threading.excepthook
    yield
    root.handlers[:], level, dbos.handlers[:], dbos.propagate, sys.excepthook = saved
    threading.excepthook = thread_hook
    root.setLevel(level)
    structlog.reset_defaults()


def test_ask_with_json_logging_writes_only_json_to_stderr(tmp_path: Path) -> None:
    json_logging = {"CROSSWIRE_LOG_FORMAT": "json", "CROSSWIRE_LOG_LEVEL": "DEBUG"}
    done = crosswire(tmp_path / "state", "ask", "brief me on Acme", "--as", DANA, env=json_logging)
    assert done.returncode == 0, done.stderr
    lines = _json_lines(done.stderr)
    assert {"step.finished"} <= {line["event"] for line in lines}
    assert done.stdout.startswith("Briefing: Acme Corporation")


def test_serve_with_json_logging_writes_only_json_to_stderr(tmp_path: Path) -> None:
    state = tmp_path / "state"
    prepared(state, None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-chat", "--port", "0", "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(state, {"CROSSWIRE_LOG_FORMAT": "json"}),
        cwd=tmp_path,
    )
    assert serve.stderr is not None
    first = serve.stderr.readline()
    deadline = time.monotonic() + 60
    lines = [first]
    while "serve.sandbox" not in lines[-1] and time.monotonic() < deadline and lines[-1]:
        lines.append(serve.stderr.readline())
    serve.send_signal(signal.SIGTERM)
    _, rest = serve.communicate(timeout=30)
    logged = _json_lines("".join(lines) + rest)
    events = [line["event"] for line in logged]
    assert "serve.sandbox" in events and "serve.stopping" in events
    assert serve.returncode == 0


def test_an_exception_is_a_json_field_with_its_trace(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    try:
        dict[str, int]()["missing"]
    except KeyError as exc:
        structlog.get_logger("crosswire").error("slack.unhandled_error", exc_info=exc)
        logging.getLogger("slack_bolt.App").error("listener failed", exc_info=exc)
    for line in _json_lines(out.getvalue()):
        assert "Traceback (most recent call last)" in line["exception"]
        assert "KeyError: 'missing'" in line["exception"]
        assert "exc_info" not in line
    assert "<traceback object" not in out.getvalue()


def test_tokens_and_configured_secrets_are_redacted(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out, secrets=["9f8e7d6c5b4a39281706f5e4d3c2b1a0"])
    log = structlog.get_logger("crosswire")
    log.info("slack.call", token=TOKEN, headers={"Authorization": f"Bearer {TOKEN}"})
    log.info("signed", detail="secret 9f8e7d6c5b4a39281706f5e4d3c2b1a0 used")
    logging.getLogger("aiohttp.client").warning("app token xapp-1-A0B1C2-123-abcdef rejected")
    logging.getLogger("anthropic").warning("key sk-ant-api03-AbC_dEf-123 invalid")
    text = out.getvalue()
    for secret in (TOKEN, "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "xapp-1-A0B1C2", "sk-ant-api03"):
        assert secret not in text
    assert len(_json_lines(text)) == 4
    assert text.count("[redacted]") == 5


async def test_dbos_messages_go_through_the_same_json_renderer(
    restore_logging: None, settings: Settings
) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    async with start_harness(settings):  # launches DBOS, which installs its logging
        dbos = logging.getLogger("dbos")
        assert DBOS_CONSOLE_HANDLER not in [h.name for h in dbos.handlers]
        dbos.warning("a DBOS warning")
    [line] = [line for line in _json_lines(out.getvalue()) if line["event"] == "a DBOS warning"]
    assert line["logger"] == "dbos" and line["level"] == "warning"


def test_a_token_typed_into_a_request_is_not_in_the_audit(tmp_path: Path) -> None:
    state = tmp_path / "state"
    asked = crosswire(state, "ask", f"brief me on Acme {TOKEN}", "--as", DANA, "--json")
    run_id = json.loads(asked.stdout)["run_id"]
    shown = crosswire(state, "audit", "show", run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert TOKEN not in shown.stdout and TOKEN not in asked.stderr
    assert "xoxb-[redacted]" in shown.stdout
    assert state.exists()


async def test_a_run_that_breaks_logs_its_trace_as_text(
    restore_logging: None, settings: Settings
) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    async with start_harness(settings) as slack:
        for method in ("chat.postMessage", "chat.postEphemeral"):
            slack.standin.fail_next(method, "channel_not_found", times=20)
        await slack.send(
            payloads.app_mention("brief me on Acme", user=DANA_ID, channel=CHANNEL, event_id="Ev0X")
        )
        await slack.finished("slack-Ev0X", timeout=30)
    [crash] = [line for line in _json_lines(out.getvalue()) if line["event"] == "run.crashed"]
    assert crash["exception"].startswith("Traceback (most recent call last)")
    assert "channel_not_found" in crash["exception"]

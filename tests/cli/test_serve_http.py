"""``crosswire serve`` in HTTP mode, as deployed: its own process, Slack's Web API elsewhere
(the stand-in, also its own process), signed requests over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reporters.slack import is_answer
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from tests.cli.conftest import TOKEN
from tests.cli.processes import crosswire, free_port, get, serving, until_listening

SECRET = "http-mode-secret"


@dataclass
class Served:
    base: str
    stderr: Path


def http_mode(slack_api: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack_api}


@pytest.fixture
async def server(slack_api: str, tmp_path: Path) -> AsyncIterator[Served]:
    port = free_port()
    stderr = tmp_path / "serve.stderr"
    async with serving(tmp_path / "state", port, http_mode(slack_api), stderr=stderr) as process:
        base = f"http://127.0.0.1:{port}"
        await until_listening(f"{base}/healthz")
        yield Served(base, stderr)
        process.terminate()
        assert await process.wait() == 0, "crosswire serve did not shut down cleanly on SIGTERM"


async def _answers(session: aiohttp.ClientSession, slack_api: str) -> list[dict[str, Any]]:
    async with session.get(slack_api.removesuffix("api/") + "_sandbox/calls") as response:
        calls: list[dict[str, Any]] = await response.json()
    return [
        c
        for c in calls
        if c["method"] == "chat.postMessage" and c["error"] is None and is_answer(c["args"])
    ]


async def test_a_signed_mention_over_http_gets_its_briefing(server: Served, slack_api: str) -> None:
    mention = payloads.app_mention(
        "brief me on Acme", user="U0DANA", channel="C0HTTP", ts="1700000100.000100"
    )
    body = mention.body.encode()
    headers = signed_headers(body, SECRET, content_type=mention.content_type)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.base}/slack/events", data=body, headers=headers) as ack:
            assert ack.status == 200
        tampered = signed_headers(body, "another-secret", content_type=mention.content_type)
        async with session.post(f"{server.base}/slack/events", data=body, headers=tampered) as bad:
            assert bad.status == 401
        async with asyncio.timeout(30):
            while not (answers := await _answers(session, slack_api)):  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.1)
    [answer] = answers
    assert answer["args"]["thread_ts"] == "1700000100.000100"
    assert "Briefing: Acme Corporation" in str(answer["args"]["blocks"])


async def test_http_mode_is_ready_and_starts_without_warnings(server: Served) -> None:
    assert await get(f"{server.base}/readyz") == (200, {"ok": True})
    logged = server.stderr.read_text()
    assert '"serve.http"' in logged or "serve.http" in logged
    assert "will be unused" not in logged
    assert "warning" not in logged.lower()
    assert TOKEN not in logged and SECRET not in logged


def test_a_port_already_in_use_is_one_line(slack_api: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = crosswire(
            tmp_path / "state",
            *("serve", "--host", "127.0.0.1", "--port", str(port)),
            env=http_mode(slack_api),
        )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"crosswire: port {port} is already in use; choose another with --port"
    )


def test_a_bot_token_slack_refuses_is_one_line(slack_api: str, tmp_path: Path) -> None:
    env = http_mode(slack_api) | {"SLACK_BOT_TOKEN": "xoxb-revoked"}
    done = crosswire(tmp_path / "state", "serve", "--port", "0", env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "crosswire: SLACK_BOT_TOKEN: Slack refused it (invalid_auth)"
    ]


def test_an_unreachable_slack_api_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    done = crosswire(tmp_path / "state", "serve", "--port", "0", env=http_mode(url))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = done.stderr.splitlines()[-1]  # after slack_sdk's own note that it retried
    assert line.startswith(f"crosswire: SLACK_API_URL: cannot reach Slack's Web API at {url}")

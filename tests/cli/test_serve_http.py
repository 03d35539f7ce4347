"""``crosswire serve`` in HTTP mode, as deployed: its own process, Slack's Web API elsewhere
(the stand-in, also its own process), signed requests over real HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reporters.slack import is_answer
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers

SECRET = "http-mode-secret"
TOKEN = "xoxb-http-mode"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def slack_api() -> Iterator[str]:
    standin = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.sandbox",
            "--token",
            TOKEN,
            "--user",
            "U0DANA=dana.reyes@northwind.example",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert standin.stdout is not None and standin.stdin is not None
    try:
        yield standin.stdout.readline().strip()
    finally:
        standin.stdin.close()
        standin.wait(timeout=10)


@pytest.fixture
async def server(slack_api: str, tmp_path: Path) -> AsyncIterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROSSWIRE_"))}
    env |= {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api,
        "CROSSWIRE_STATE_DIR": str(tmp_path / "state"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _until_healthy(base)
        yield base
    finally:
        process.terminate()
        exit_code = await process.wait()
    assert exit_code == 0, "crosswire serve did not shut down cleanly on SIGTERM"


async def _until_healthy(base: str) -> None:
    async with asyncio.timeout(60), aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


async def _answers(session: aiohttp.ClientSession, slack_api: str) -> list[dict[str, Any]]:
    async with session.get(slack_api.removesuffix("api/") + "_sandbox/calls") as response:
        calls: list[dict[str, Any]] = await response.json()
    return [
        c
        for c in calls
        if c["method"] == "chat.postMessage" and c["error"] is None and is_answer(c["args"])
    ]


async def test_a_signed_mention_over_http_gets_its_briefing(server: str, slack_api: str) -> None:
    mention = payloads.app_mention(
        "brief me on Acme", user="U0DANA", channel="C0HTTP", ts="1700000100.000100"
    )
    body = mention.body.encode()
    headers = signed_headers(body, SECRET, content_type=mention.content_type)
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server}/slack/events", data=body, headers=headers) as ack:
            assert ack.status == 200
        tampered = signed_headers(body, "another-secret", content_type=mention.content_type)
        async with session.post(f"{server}/slack/events", data=body, headers=tampered) as bad:
            assert bad.status == 401
        async with asyncio.timeout(30):
            while not (answers := await _answers(session, slack_api)):  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.1)
    [answer] = answers
    assert answer["args"]["thread_ts"] == "1700000100.000100"
    assert "Briefing: Acme Corporation" in str(answer["args"]["blocks"])

"""Running ``crosswire`` as its own process, as a user does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tests.state import seeded

STOP_S = 60


def clean_environment(state: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any Crosswire or Slack setting, plus ``extra``."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROSSWIRE_"))
    }
    # The scheduler is off unless a test asks for it: a demo meeting due mid-test would DM;
    # and plan previews, so that a plan that writes runs as a test about its approval expects.
    quiet = {"CROSSWIRE_SCHEDULER": "off", "CROSSWIRE_PREVIEWS": "off"}
    return environment | quiet | {"CROSSWIRE_STATE_DIR": str(state), **(extra or {})}


def prepared(state: Path, env: Mapping[str, str] | None) -> None:
    """``state``'s parent folder made; a state folder that does not exist yet seeded as a
    first start leaves it (see tests/state.py) unless ``env`` moves the database elsewhere."""
    state.parent.mkdir(parents=True, exist_ok=True)
    if not state.exists() and "CROSSWIRE_DATABASE_URL" not in (env or {}):
        seeded(state)


def crosswire(
    state: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``crosswire ARGS`` to the end in ``state``'s parent folder."""
    prepared(state, env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_environment(state, env),
        cwd=state.parent,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(
    state: Path, port: int, env: Mapping[str, str] | None = None, *, stderr: Path | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``crosswire serve --port PORT --no-chat`` until the block ends (then SIGTERM)."""
    prepared(state, env)
    with open(stderr or os.devnull, "w") as errors:  # noqa: ASYNC230 (once, before the start)
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"),
            *("--port", str(port), "--no-chat"),
            env=clean_environment(state, env),
            cwd=state.parent,
            stdin=asyncio.subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            yield process
        finally:
            await _stopped(process)


async def _stopped(process: asyncio.subprocess.Process) -> None:
    """``process`` stopped with SIGTERM; if it has not stopped :data:`STOP_S` later, with
    SIGKILL, and the test fails: a shutdown that hangs is a defect, not a wait."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_S)
    except TimeoutError as hung:
        process.kill()
        await process.wait()
        raise AssertionError(f"crosswire serve did not stop within {STOP_S} s of SIGTERM") from hung


def http_mode(
    slack_api: str, *, token: str, secret: str, database_url: str | None = None
) -> dict[str, str]:
    """Settings for ``crosswire serve`` in HTTP mode against the Slack stand-in at
    ``slack_api``, quiet below warnings, on ``database_url`` (else the state folder's SQLite)."""
    env = {
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": slack_api,
        "CROSSWIRE_LOG_LEVEL": "WARNING",
    }
    return env | ({"CROSSWIRE_DATABASE_URL": database_url} if database_url else {})


@asynccontextmanager
async def killed_at_exit(state: Path, env: Mapping[str, str], log: Path) -> AsyncIterator[str]:
    """``crosswire serve`` on ``state``'s folder and database; yields its base URL once it
    listens. It is killed with SIGKILL when the block ends, unless it has already stopped:
    a crash, not a shutdown."""
    port = free_port()
    async with serving(state, port, env, stderr=log) as process:
        base = f"http://127.0.0.1:{port}"
        await until_listening(f"{base}/healthz")
        yield base
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()


async def get(url: str) -> tuple[int, dict[str, object]]:
    """``GET url``: its status and JSON body."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def until_listening(url: str, timeout: float = 60) -> None:
    """Wait until ``url`` answers at all."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                await get(url)
                return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)

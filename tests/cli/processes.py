"""Running ``crosswire`` as its own process, as a user does, and a PostgreSQL database to
point it at."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
import pytest

POSTGRES_SERVER = os.environ.get("CROSSWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def clean_environment(state: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any Crosswire or Slack setting, plus ``extra``."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROSSWIRE_"))
    }
    return environment | {"CROSSWIRE_STATE_DIR": str(state), **(extra or {})}


def crosswire(
    state: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``crosswire ARGS`` to the end in ``state``'s parent folder."""
    state.parent.mkdir(parents=True, exist_ok=True)
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
    state.parent.mkdir(parents=True, exist_ok=True)
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
            if process.returncode is None:
                process.terminate()
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


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A new, empty database on the local server (dropped afterwards); yields its name."""
    name = f"crosswire_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {exc}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()

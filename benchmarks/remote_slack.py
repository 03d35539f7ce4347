"""The Slack Web API stand-in in a process of its own, as Slack is for a real deployment:
the server under test spends no CPU answering its own Web API calls."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass
class RemoteStandIn:
    base_url: str
    session: aiohttp.ClientSession

    async def calls(self) -> list[dict[str, Any]]:
        root = self.base_url.removesuffix("api/")
        async with self.session.get(f"{root}_sandbox/calls") as response:
            calls: list[dict[str, Any]] = await response.json()
            return calls


@asynccontextmanager
async def remote_standin(token: str, users: dict[str, str]) -> AsyncIterator[RemoteStandIn]:
    """Start ``python -m bot.sandbox`` and stop it (by closing its stdin) afterwards."""
    args = ["-m", "bot.sandbox", "--token", token]
    for user_id, email in users.items():
        args += ["--user", f"{user_id}={email}"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        base_url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        async with aiohttp.ClientSession() as session:
            yield RemoteStandIn(base_url, session)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()

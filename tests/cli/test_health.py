"""``/healthz`` and ``/readyz`` in every mode, from outside the process as a container's
health check sees them; ``/readyz`` follows the database."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import TOKEN
from tests.cli.processes import free_port, get, serving, until_listening
from tests.postgres_server import POSTGRES_SERVER, drop_database, postgres_database


async def test_the_sandbox_is_alive_and_ready_on_sqlite(tmp_path: Path) -> None:
    port = free_port()
    async with serving(tmp_path / "state", port):
        base = f"http://127.0.0.1:{port}"
        await until_listening(f"{base}/healthz")
        assert await get(f"{base}/healthz") == (200, {"ok": True})
        assert await get(f"{base}/readyz") == (200, {"ok": True})


@pytest.mark.postgres
async def test_ready_only_while_the_database_answers(tmp_path: Path) -> None:
    port = free_port()
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER}/{name}"
        async with serving(tmp_path / "state", port, {"CROSSWIRE_DATABASE_URL": url}):
            base = f"http://127.0.0.1:{port}"
            await until_listening(f"{base}/healthz")
            assert await get(f"{base}/readyz") == (200, {"ok": True})
            await drop_database(name)
            status, body = await get(f"{base}/readyz")
            assert status == 503
            assert body["ok"] is False
            assert f'database "{name}" does not exist' in str(body["database"])
            assert await get(f"{base}/healthz") == (200, {"ok": True})


async def test_socket_mode_serves_health_on_its_port(tmp_path: Path, slack_api: str) -> None:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-A0SANDBOX-1-secret",
        "SLACK_API_URL": slack_api,
    }
    async with serving(tmp_path / "state", port, env):
        base = f"http://127.0.0.1:{port}"
        await until_listening(f"{base}/healthz")
        assert await get(f"{base}/healthz") == (200, {"ok": True})
        assert await get(f"{base}/readyz") == (200, {"ok": True})
        async with asyncio.timeout(30):
            while "apps.connections.open" not in _methods(slack_api):  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.1)


def _methods(slack_api: str) -> list[str]:
    with urllib.request.urlopen(slack_api.removesuffix("api/") + "_sandbox/calls") as calls:
        return [call["method"] for call in json.load(calls) if call["error"] is None]

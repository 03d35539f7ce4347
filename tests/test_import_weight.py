"""Every command reads the settings first, and a command that fails on a bad setting, or needs
no engine (``identity match``, ``--help``), answers before anything heavy is imported: reading
the settings imports no vendor SDK, no engine, no model client, no HTTP client and no
SQLAlchemy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "mcp",
    "dbos",
    "anthropic",
    "numpy",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "uvicorn",
    "sqlalchemy",
    "httpx",
    "cryptography",
)


def _imported_by(statements: str, env: dict[str, str] | None = None) -> list[str]:
    code = (
        f"import json, sys\n{statements}\n"
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        # Without the developer's own Crosswire settings (a database URL loads SQLAlchemy).
        env={k: v for k, v in os.environ.items() if not k.startswith("CROSSWIRE_")} | (env or {}),
    )
    return list(json.loads(out.stdout))


def test_reading_the_settings_imports_nothing_heavy() -> None:
    assert _imported_by("import bot.settings") == []


def test_the_command_line_parser_imports_nothing_heavy() -> None:
    assert _imported_by("import bot.cli") == []


def test_a_bad_setting_is_refused_before_anything_heavy_is_imported() -> None:
    refused = "from bot.cli import main\nassert main(['audit', 'list']) == 2"
    assert _imported_by(refused, {"CROSSWIRE_LOG_LEVEL": "loud"}) == []


def test_connecting_the_demo_world_alone_imports_no_vendor_connector(tmp_path: Path) -> None:
    """A run on the demo systems alone (``make demo``) loads no vendor's connector, no key
    signing for Google and no MCP SDK: each is imported when its system is configured."""
    vendors = [
        "connectors.stripe.connector",
        "connectors.hubspot.connector",
        "connectors.zendesk.connector",
        "connectors.google.connector",
        "connectors.mcp.connector",
        "cryptography",
        "mcp",
    ]
    code = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from connectors.config import ConnectorsConfig, DemoConfig\n"
        "from connectors.configured import open_connectors\n"
        "from workflows.clock import SystemClock\n"
        "async def connect():\n"
        f"    demo = DemoConfig(database=Path({str(tmp_path / 'demo.sqlite')!r}))\n"
        "    clock = SystemClock()\n"
        "    connected = await open_connectors(ConnectorsConfig(), demo=demo, clock=clock)\n"
        "    await connected.aclose()\n"
        "asyncio.run(connect())\n"
        f"print(json.dumps([m for m in {vendors!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == []  # after the demo world's log lines


def test_a_run_asked_in_a_terminal_loads_no_slack_app_and_no_model_client() -> None:
    """``crosswire ask`` builds the services alone: the Bolt app, aiohttp (Slack's HTTP
    client) and the Anthropic SDK are loaded by ``serve`` and with a key only."""
    imported = set(_imported_by("import bot.cli.ask, bot.wiring"))
    assert imported & {"slack_bolt", "aiohttp", "anthropic", "mcp"} == set()

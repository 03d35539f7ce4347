"""Every command reads the settings first, and a command that fails on a bad setting, or needs
no engine (``identity match``, ``--help``), answers before anything heavy is imported: reading
the settings imports no vendor SDK, no engine, no model client, no HTTP client and no
SQLAlchemy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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

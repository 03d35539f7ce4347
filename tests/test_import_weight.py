"""Every command reads the settings first, and a command that fails on a bad setting, or needs
no engine (``identity match``, ``--help``), answers before anything heavy is imported: reading
the settings imports no vendor SDK, no engine and no model client."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("mcp", "dbos", "anthropic", "numpy", "slack_bolt", "slack_sdk", "aiohttp", "uvicorn")


def _imported_by(module: str) -> list[str]:
    code = (
        f"import json, sys, {module}; "
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def test_reading_the_settings_imports_nothing_heavy() -> None:
    assert _imported_by("bot.settings") == []


def test_the_command_line_parser_imports_nothing_heavy() -> None:
    assert _imported_by("bot.cli") == []

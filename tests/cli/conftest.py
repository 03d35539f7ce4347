"""The Slack Web API stand-in as its own process, for ``crosswire serve`` in another."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

TOKEN = "xoxb-http-mode"


@pytest.fixture
def slack_api() -> Iterator[str]:
    """The stand-in's base URL (for ``SLACK_API_URL``); it accepts only :data:`TOKEN`."""
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

"""Shared fixtures: settings on a temporary SQLite state directory, and the whole bot wired
against the local Slack Web API stand-in (real Bolt app, real DBOS, real SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.harness import SlackHarness, start_harness


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never pick up a developer's Slack or Anthropic credentials."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "CROSSWIRE_DATABASE_URL",
        "CROSSWIRE_DEMO_LATENCY",
        "CROSSWIRE_DEMO_FAULTS",
    ):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", step_timeout_s=2.0)


@pytest.fixture
async def slack(settings: Settings) -> AsyncIterator[SlackHarness]:
    async with start_harness(settings) as harness:
        yield harness

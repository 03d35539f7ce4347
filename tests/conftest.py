"""Shared fixtures: settings on a temporary SQLite state directory, and the whole bot wired
against the local Slack Web API stand-in (real Bolt app, real DBOS, real SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings, environment_names
from tests.harness import SlackHarness, start_harness
from tests.state import seeded


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests never pick up a developer's settings or Slack and Anthropic credentials."""
    for name in environment_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CROSSWIRE_TEST_NO_NETWORK", "1")  # a real model request fails
    # A plan that writes runs without its preview unless a test is about previews.
    monkeypatch.setenv("CROSSWIRE_PREVIEWS", "off")
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The scheduler is off unless a test is about it: a demo meeting due mid-test would DM.
    # The folder is as a first start leaves it (see tests/state.py).
    state = seeded(tmp_path / "state")
    return Settings(state_dir=state, step_timeout_s=2.0, scheduler=False)


@pytest.fixture
async def slack(settings: Settings) -> AsyncIterator[SlackHarness]:
    async with start_harness(settings) as harness:
        yield harness

"""manifest.yml asks Slack for exactly what the listeners handle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.listeners import BOT_EVENTS, BOT_SCOPES, COMMANDS

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_events_commands_and_scopes_match_the_listeners() -> None:
    m = manifest()
    assert sorted(m["settings"]["event_subscriptions"]["bot_events"]) == sorted(BOT_EVENTS)
    assert [c["command"] for c in m["features"]["slash_commands"]] == list(COMMANDS)
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_interactivity_is_on_at_the_events_url_for_the_approval_buttons() -> None:
    settings = manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert (
        settings["interactivity"]["request_url"] == settings["event_subscriptions"]["request_url"]
    )


def test_the_app_home_tab_is_on_because_a_listener_publishes_it() -> None:
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True

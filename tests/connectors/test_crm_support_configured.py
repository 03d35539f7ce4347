"""HubSpot and Zendesk in the configured set: each serves its system in the demo world's place
with its own rate budget, their tokens come from the environment for a configured connector
only, and no settings object shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.logging import secrets_of
from bot.settings import Settings
from connectors.config import ConnectorsConfig, DemoConfig
from connectors.configured import open_connectors
from connectors.protocol import RateLimit
from tests.connectors.demo_env import NOW
from workflows.clock import ManualClock


async def test_hubspot_and_zendesk_serve_crm_and_support(tmp_path: Path) -> None:
    config = ConnectorsConfig.model_validate({
        "hubspot": {"base_url": "http://127.0.0.1:9", "access_token": "pat-na1-x"},
        "zendesk": {"base_url": "http://127.0.0.1:9", "email": "a@b.example",
                    "api_token": "zd-x"},
    })  # fmt: skip
    connected = await open_connectors(
        config, demo=DemoConfig(database=tmp_path / "demo.sqlite"), clock=ManualClock(NOW)
    )
    try:
        serving = connected.serving()
        assert (serving["crm"].name, serving["support"].name) == ("hubspot", "zendesk")
        assert serving["billing"].name == "demo"
        assert connected.labels()["support"] == "Support desk"
        limits = connected.rate_limits()
        assert limits["crm"] == RateLimit(per_second=4, burst=5)
        assert limits["support"] == RateLimit(per_second=3, burst=10)
    finally:
        await connected.aclose()


def test_zendesk_needs_its_address() -> None:
    with pytest.raises(ValueError, match="base_url"):
        ConnectorsConfig.model_validate({"zendesk": {}})
    with pytest.raises(ValueError, match=r"https://api\.hubapi\.com"):
        ConnectorsConfig.model_validate({"hubspot": {"base_url": "api.hubapi.com"}})


def test_tokens_are_never_shown_by_the_settings_that_hold_them() -> None:
    config = ConnectorsConfig.model_validate({
        "hubspot": {"access_token": "pat-na1-Hidden"},
        "zendesk": {"base_url": "https://n.zendesk.com", "api_token": "zdHidden"},
    })  # fmt: skip
    shown = repr(config) + str(config) + config.model_dump_json()
    assert "pat-na1-Hidden" not in shown and "zdHidden" not in shown
    assert sorted(config.secrets()) == ["pat-na1-Hidden", "zdHidden"]


def test_the_tokens_come_from_the_environment_for_configured_connectors_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-FromTheEnvironment")
    monkeypatch.setenv("ZENDESK_EMAIL", "agent@northwind.example")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zdFromTheEnvironment")
    settings = Settings(scheduler=False)
    assert (settings.connectors.hubspot, settings.connectors.zendesk) == (None, None)
    (tmp_path / "crosswire.toml").write_text(
        '[connectors.hubspot]\n\n[connectors.zendesk]\nbase_url = "https://n.zendesk.com/"\n'
    )
    settings = Settings(scheduler=False)
    hubspot, zendesk = settings.connectors.hubspot, settings.connectors.zendesk
    assert hubspot is not None and hubspot.access_token is not None
    assert hubspot.access_token.get_secret_value() == "pat-na1-FromTheEnvironment"
    assert zendesk is not None and zendesk.base_url == "https://n.zendesk.com"
    assert zendesk.email == "agent@northwind.example"
    assert zendesk.api_token is not None
    assert {"pat-na1-FromTheEnvironment", "zdFromTheEnvironment"} <= set(secrets_of(settings))

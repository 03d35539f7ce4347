"""The configured set of connectors: who serves each system, whose operations reach the
catalog, and the rate budget of each system (a connector's default, or the settings')."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.logging import secrets_of
from bot.settings import Settings
from connectors.config import ConnectorsConfig, DemoConfig, StripeConfig
from connectors.configured import open_connectors
from connectors.protocol import RateLimit
from tests.connectors.demo_env import NOW
from workflows.clock import ManualClock


async def test_the_demo_world_alone_serves_every_system_unpaced(tmp_path: Path) -> None:
    connected = await open_connectors(
        ConnectorsConfig(),
        demo=DemoConfig(database=tmp_path / "demo.sqlite"),
        clock=ManualClock(NOW),
    )
    try:
        assert {c.name for c in connected.serving().values()} == {"demo"}
        assert connected.rate_limits() == {}
    finally:
        await connected.aclose()


async def test_stripe_serves_billing_in_the_demo_worlds_place(tmp_path: Path) -> None:
    config = ConnectorsConfig.model_validate({
        "stripe": {"base_url": "http://127.0.0.1:9", "api_key": "sk_test_x"},
        "rate_limits": {"crm": {"per_second": 5}},
    })  # fmt: skip
    connected = await open_connectors(
        config, demo=DemoConfig(database=tmp_path / "demo.sqlite"), clock=ManualClock(NOW)
    )
    try:
        serving = connected.serving()
        assert serving["billing"].name == "stripe" and serving["crm"].name == "demo"
        assert connected.labels()["billing"] == "Billing"
        assert connected.rate_limits() == {
            "billing": RateLimit(per_second=20, burst=10),
            "crm": RateLimit(per_second=5, burst=1),
        }
    finally:
        await connected.aclose()


def test_settings_override_a_connectors_own_budget() -> None:
    config = ConnectorsConfig.model_validate({
        "stripe": {}, "rate_limits": {"billing": {"per_second": 2, "burst": 4}},
    })  # fmt: skip
    assert config.stripe == StripeConfig()
    assert config.rate_limits["billing"] == RateLimit(per_second=2, burst=4)


def test_a_key_is_never_shown_by_the_settings_that_hold_it() -> None:
    config = ConnectorsConfig.model_validate({"stripe": {"api_key": "sk_test_51Hidden"}})
    assert "sk_test_51Hidden" not in repr(config) + str(config) + config.model_dump_json()
    assert config.secrets() == ["sk_test_51Hidden"]


def test_the_key_comes_from_the_environment_for_a_configured_stripe_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_51FromTheEnvironment")
    assert Settings(scheduler=False).connectors.stripe is None  # a key alone connects nothing
    (tmp_path / "crosswire.toml").write_text('[connectors.stripe]\nbase_url = "http://x.test/"\n')
    stripe = Settings(scheduler=False).connectors.stripe
    assert stripe is not None and stripe.base_url == "http://x.test"
    assert stripe.api_key is not None
    assert stripe.api_key.get_secret_value() == "sk_test_51FromTheEnvironment"
    assert "sk_test_51FromTheEnvironment" in secrets_of(Settings(scheduler=False))

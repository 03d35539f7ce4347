"""Google configured in crosswire.toml: it serves the mailbox and the calendar in the demo
world's place (or one of them), with its own rate budgets; the key file's path comes from
GOOGLE_APPLICATION_CREDENTIALS for a configured Google only, and its private key is known to
the log redactor and shown by no settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.logging import secrets_of
from bot.settings import Settings
from connectors.config import ConnectorsConfig, DemoConfig
from connectors.configured import open_connectors
from connectors.protocol import RateLimit
from tests.connectors.demo_env import NOW
from tests.connectors.google_env import DANA, write_key_file
from workflows.clock import ManualClock


async def test_google_serves_mail_and_calendar_in_the_demo_worlds_place(tmp_path: Path) -> None:
    config = ConnectorsConfig.model_validate({"google": {"subject": DANA, "calendar": False}})
    connected = await open_connectors(
        config, demo=DemoConfig(database=tmp_path / "demo.sqlite"), clock=ManualClock(NOW)
    )
    try:
        serving = connected.serving()
        assert serving["email"].name == "google" and serving["calendar"].name == "demo"
        assert connected.labels()["email"] == "Mailbox"
        assert connected.rate_limits() == {"email": RateLimit(per_second=20, burst=10)}
    finally:
        await connected.aclose()


def test_the_key_file_comes_from_the_environment_for_a_configured_google_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    key_file = write_key_file(tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    assert Settings(scheduler=False).connectors.google is None  # a path alone connects nothing
    (tmp_path / "crosswire.toml").write_text(f'[connectors.google]\nsubject = "{DANA}"\n')
    settings = Settings(scheduler=False)
    google = settings.connectors.google
    assert google is not None and google.key_file == key_file and google.subject == DANA
    private_key = json.loads(key_file.read_text())["private_key"]
    assert private_key in secrets_of(settings)
    shown = repr(settings.connectors) + settings.connectors.model_dump_json()
    assert private_key.splitlines()[1] not in shown


def test_a_subject_is_required_and_urls_are_checked() -> None:
    with pytest.raises(ValueError, match="subject"):
        ConnectorsConfig.model_validate({"google": {}})
    with pytest.raises(ValueError, match="http:// or https://"):
        ConnectorsConfig.model_validate({"google": {"subject": DANA, "gmail_url": "gmail"}})

"""Typed settings, read once from the environment (and an optional TOML file).

Every setting has an embedded default, so Crosswire runs with none: SQLite in ``.crosswire/``,
the built-in demo systems, the offline planner and a local sandbox instead of Slack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from connectors.demo import DemoBehaviour

DEFAULT_STATE_DIR = Path(".crosswire")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Crosswire's configuration. Environment names are given in each field's alias."""

    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, toml_file="crosswire.toml", frozen=True
    )

    state_dir: Path = Field(DEFAULT_STATE_DIR, validation_alias=_env("CROSSWIRE_STATE_DIR"))
    database_url: str = Field("", validation_alias=_env("CROSSWIRE_DATABASE_URL"))
    executor_id: str = Field("local", validation_alias=_env("CROSSWIRE_EXECUTOR_ID"))

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str | None = Field(None, validation_alias=_env("SLACK_API_URL"))

    anthropic_api_key: SecretStr | None = Field(None, validation_alias=_env("ANTHROPIC_API_KEY"))
    anthropic_base_url: str | None = Field(None, validation_alias=_env("ANTHROPIC_BASE_URL"))
    model: str = Field("claude-sonnet-4-5", validation_alias=_env("CROSSWIRE_MODEL"))

    demo_seed: int = Field(7, validation_alias=_env("CROSSWIRE_DEMO_SEED"))
    demo_latency: str = Field("", validation_alias=_env("CROSSWIRE_DEMO_LATENCY"))
    demo_faults: str = Field("", validation_alias=_env("CROSSWIRE_DEMO_FAULTS"))

    step_timeout_s: float = Field(10.0, gt=0, validation_alias=_env("CROSSWIRE_STEP_TIMEOUT"))
    step_attempts: int = Field(3, ge=1, le=10, validation_alias=_env("CROSSWIRE_STEP_ATTEMPTS"))

    max_concurrent_runs: int = Field(
        8, ge=1, le=256, validation_alias=_env("CROSSWIRE_MAX_CONCURRENT_RUNS")
    )

    log_level: str = Field("INFO", validation_alias=_env("CROSSWIRE_LOG_LEVEL"))
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", validation_alias=_env("CROSSWIRE_LOG_FORMAT")
    )

    @field_validator("demo_latency")
    @classmethod
    def _latency_parses(cls, value: str) -> str:
        DemoBehaviour.parse(latency=value)
        return value

    @field_validator("demo_faults")
    @classmethod
    def _faults_parse(cls, value: str) -> str:
        DemoBehaviour.parse(faults=value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def audit_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.state_dir / 'crosswire.db'}"

    @property
    def dbos_sqlite_file(self) -> Path:
        return self.state_dir / "dbos.sqlite"

    @property
    def demo_database(self) -> Path:
        return self.state_dir / "demo.sqlite"

    @property
    def slack_mode(self) -> Literal["socket", "http", "sandbox"]:
        if self.slack_app_token is not None:
            return "socket"
        if self.slack_signing_secret is not None:
            return "http"
        return "sandbox"


def environment_names() -> list[str]:
    """Every environment variable Crosswire reads (tests and benchmarks clear them)."""
    return [name for field in Settings.model_fields for name in environment_names_of(field)]


def explain(error: ValidationError) -> str:
    """A settings error as a person can act on it: which variable, and what is wrong."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        names = environment_names_of(field) or [field]
        lines.append(f"{' / '.join(names)}: {problem['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def environment_names_of(field: str) -> list[str]:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return [str(c) for c in alias.choices] if isinstance(alias, AliasChoices) else []

"""Typed settings, read once from the environment (and an optional TOML file).

Every setting has an embedded default, so Crosswire runs with none: SQLite in ``.crosswire/``,
the built-in demo systems, the offline planner and a local sandbox instead of Slack.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from connectors.config import SECRET_VARIABLES, ConnectorsConfig, secrets_from
from connectors.demo import DemoBehaviour
from workflows.durations import parse_duration

DEFAULT_STATE_DIR = Path(".crosswire")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
BOT_TOKEN_PREFIX = "xoxb-"
BOT_TOKEN_HINT = "the Bot User OAuth Token, under OAuth & Permissions in the app's settings"
APP_TOKEN_PREFIX = "xapp-"
APP_TOKEN_HINT = "an app-level token with connections:write, under Basic Information"
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Crosswire's configuration. Environment names are given in each field's alias."""

    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, toml_file="crosswire.toml", frozen=True
    )

    state_dir: Path = Field(DEFAULT_STATE_DIR, validation_alias=_env("CROSSWIRE_STATE_DIR"))
    database_url: str = Field("", validation_alias=_env("CROSSWIRE_DATABASE_URL"), repr=False)
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
    planner_timeout_s: float = Field(
        30.0, gt=0, le=600, validation_alias=_env("CROSSWIRE_PLANNER_TIMEOUT")
    )

    demo_seed: int = Field(7, validation_alias=_env("CROSSWIRE_DEMO_SEED"))
    demo_latency: str = Field("", validation_alias=_env("CROSSWIRE_DEMO_LATENCY"))
    demo_faults: str = Field("", validation_alias=_env("CROSSWIRE_DEMO_FAULTS"))
    # The `[connectors]` table of crosswire.toml: which systems are connected, and how.
    connectors: ConnectorsConfig = Field(
        default_factory=ConnectorsConfig, validation_alias=_env("connectors")
    )

    step_timeout_s: float = Field(10.0, gt=0, validation_alias=_env("CROSSWIRE_STEP_TIMEOUT"))
    step_attempts: int = Field(3, ge=1, le=10, validation_alias=_env("CROSSWIRE_STEP_ATTEMPTS"))
    run_deadline_s: float = Field(8.0, gt=0, validation_alias=_env("CROSSWIRE_RUN_DEADLINE"))
    late_grace_s: float = Field(2.0, ge=0, validation_alias=_env("CROSSWIRE_LATE_GRACE"))
    breaker_timeouts: int = Field(
        2, ge=1, le=100, validation_alias=_env("CROSSWIRE_BREAKER_TIMEOUTS")
    )
    breaker_cooldown_s: float = Field(
        30.0, gt=0, validation_alias=_env("CROSSWIRE_BREAKER_COOLDOWN")
    )

    max_concurrent_runs: int = Field(
        8, ge=1, le=256, validation_alias=_env("CROSSWIRE_MAX_CONCURRENT_RUNS")
    )

    approval_ttl: timedelta = Field(
        timedelta(hours=24), validation_alias=_env("CROSSWIRE_APPROVAL_TTL")
    )
    previews: bool = Field(True, validation_alias=_env("CROSSWIRE_PREVIEWS"))
    preview_ttl: timedelta = Field(
        timedelta(hours=1), validation_alias=_env("CROSSWIRE_PREVIEW_TTL")
    )
    briefing_lead: timedelta = Field(
        timedelta(minutes=30), validation_alias=_env("CROSSWIRE_BRIEFING_LEAD")
    )
    scheduler: bool = Field(True, validation_alias=_env("CROSSWIRE_SCHEDULER"))
    schedule_sync_s: float = Field(
        30.0, gt=0, le=3600, validation_alias=_env("CROSSWIRE_SCHEDULE_SYNC")
    )
    schedules_file: Path | None = Field(None, validation_alias=_env("CROSSWIRE_SCHEDULES_FILE"))
    policy_file: Path | None = Field(None, validation_alias=_env("CROSSWIRE_POLICY_FILE"))
    access_file: Path | None = Field(None, validation_alias=_env("CROSSWIRE_ACCESS_FILE"))
    precedence_file: Path | None = Field(None, validation_alias=_env("CROSSWIRE_PRECEDENCE_FILE"))
    approvals_channel: str | None = Field(
        None, validation_alias=_env("CROSSWIRE_APPROVALS_CHANNEL")
    )
    # Who decides whether two records the identity graph is unsure of are one (emails,
    # separated by commas); each "maybe" pair is put to them in a DM with Same / Different.
    identity_admins: str = Field(
        "rachel.kim@northwind.example", validation_alias=_env("CROSSWIRE_IDENTITY_ADMINS")
    )

    log_level: str = Field("INFO", validation_alias=_env("CROSSWIRE_LOG_LEVEL"))
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", validation_alias=_env("CROSSWIRE_LOG_FORMAT")
    )

    # The checks below that need a heavy module (SQLAlchemy for a URL, the loader of a file)
    # import it when they run, so a process given no such setting, or one that exits on a bad
    # setting or prints its help, never imports it.

    @field_validator("database_url")
    @classmethod
    def _database_url_usable(cls, value: str) -> str:
        if not value.strip():
            return ""
        from workflows.database_url import audit_url

        return audit_url(value)

    @field_validator(
        "slack_bot_token", "slack_app_token", "slack_signing_secret", "slack_api_url", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `SLACK_SIGNING_SECRET=` in an env file or a compose file means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _token_shaped(value, BOT_TOKEN_PREFIX, BOT_TOKEN_HINT)

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _token_shaped(value, APP_TOKEN_PREFIX, APP_TOKEN_HINT)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("should be an http:// or https:// URL, e.g. https://slack.com/api/")
        return value.strip() if value else value

    @model_validator(mode="after")
    def _slack_settings_complete(self) -> Settings:
        problem = slack_settings_problem(
            bot=self.slack_bot_token is not None,
            app=self.slack_app_token is not None,
            signing=self.slack_signing_secret is not None,
        )
        if problem:
            raise ValueError(problem)
        return self

    @field_validator("approval_ttl", "preview_ttl", "briefing_lead", mode="before")
    @classmethod
    def _durations_parse(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator(
        "policy_file", "schedules_file", "approvals_channel", "anthropic_base_url", mode="before"
    )
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("schedules_file")
    @classmethod
    def _schedules_read(cls, value: Path | None) -> Path | None:
        if value is not None:
            from workflows.schedules.declared import read_declared

            read_declared(value)  # a DeclaredError (a ValueError) names the file and entry
        return value

    @field_validator("policy_file")
    @classmethod
    def _policy_loads(cls, value: Path | None) -> Path | None:
        if value is not None:
            from workflows.approvals.policy import ApprovalPolicy

            ApprovalPolicy.load(value)  # a PolicyError names the file and the problem
        return value

    @field_validator("access_file", mode="before")
    @classmethod
    def _access_blank_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("access_file")
    @classmethod
    def _access_policy_loads(cls, value: Path | None) -> Path | None:
        if value is not None:
            from connectors.access import AccessPolicy

            AccessPolicy.load(value)  # an AccessPolicyError names the file and the problem
        return value

    @field_validator("precedence_file", mode="before")
    @classmethod
    def _precedence_blank_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("precedence_file")
    @classmethod
    def _precedence_loads(cls, value: Path | None) -> Path | None:
        if value is not None:
            from workflows.library.precedence import Precedence

            Precedence.load(value)  # a PrecedenceError names the file and the problem
        return value

    @field_validator("approvals_channel")
    @classmethod
    def _channel_id_shape(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_ID.fullmatch(value.strip()):
            raise ValueError(
                "should be a Slack channel id such as C0123ABCDEF (shown at the bottom of "
                "the channel's details), not the channel's name"
            )
        return value.strip() if value else value

    @field_validator("connectors", mode="before")
    @classmethod
    def _connector_secrets(cls, value: object) -> object:
        # Secrets come from the environment (STRIPE_API_KEY), never from crosswire.toml.
        if not isinstance(value, dict):
            return value
        merged = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
        for connector, fields in secrets_from(table=merged).items():
            if isinstance(merged.get(connector), dict):
                merged[connector] = {**merged[connector], **fields}
        return merged

    @field_validator("log_level")
    @classmethod
    def _log_level_known(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"should be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("executor_id")
    @classmethod
    def _executor_id_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("should not be empty: it names this replica's durable runs")
        return value.strip()

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


def slack_settings_problem(*, bot: bool, app: bool, signing: bool) -> str | None:
    """What is missing from the Slack settings, naming the variables; ``None`` if they make a
    mode (Socket Mode, HTTP, or none at all for the sandbox)."""
    if bot and not (app or signing):
        return (
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is: "
            "set SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET for HTTP, "
            "or unset SLACK_BOT_TOKEN for the local sandbox"
        )
    if not bot and (app or signing):
        given = "SLACK_APP_TOKEN" if app else "SLACK_SIGNING_SECRET"
        return (
            f"{given} is set but SLACK_BOT_TOKEN is not: set SLACK_BOT_TOKEN "
            f"({BOT_TOKEN_PREFIX}…, {BOT_TOKEN_HINT}), or unset {given} for the local sandbox"
        )
    return None


def _token_shaped(value: SecretStr | None, prefix: str, hint: str) -> SecretStr | None:
    if value is None:
        return None
    token = value.get_secret_value().strip()
    if not token.startswith(prefix):
        raise ValueError(f"should start with {prefix} ({hint})")
    return SecretStr(token)


def environment_names() -> list[str]:
    """Every environment variable Crosswire reads (tests and benchmarks clear them)."""
    fields = [name for field in Settings.model_fields for name in environment_names_of(field)]
    return [*fields, *SECRET_VARIABLES]


def explain(error: ValidationError) -> str:
    """A settings error as a person can act on it: one line per problem, each naming the
    variable and what is wrong (never the value: it may be a secret)."""
    lines = []
    for problem in error.errors(include_input=False):
        message = problem["msg"].removeprefix("Value error, ")
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if field == "connectors":  # a table of crosswire.toml, named down to the key
            where = ".".join(str(part) for part in problem["loc"][1:])
            lines.append(f"crosswire.toml [connectors] {where}: {message}")
            continue
        names = environment_names_of(field) or ([field] if field else [])
        lines.append(f"{' / '.join(names)}: {message}" if names else message)
    return "\n".join(lines)


def environment_names_of(field: str) -> list[str]:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return [str(c) for c in alias.choices] if isinstance(alias, AliasChoices) else []


def forget_slack_environment() -> None:
    """Remove ``SLACK_*`` variables from this process's environment, once settings are read.

    Crosswire reads its Slack settings once, through :class:`bot.settings.Settings`. Bolt also
    reads some itself when the app is built: ``SLACK_BOT_TOKEN`` (then warns that the token
    "will be unused" beside our client), ``SLACK_SIGNING_SECRET``, and ``SLACK_CLIENT_ID`` with
    ``SLACK_CLIENT_SECRET``, which silently switch on its OAuth flow and drop the bot token.
    Nothing acts on them behind the settings' back, and no child process inherits the secrets.
    """
    for name in [n for n in os.environ if n.startswith("SLACK_")]:
        del os.environ[name]

"""Which connectors run, as settings say: the ``[connectors]`` table of ``crosswire.toml``
(with secrets from the environment), read into :class:`ConnectorsConfig`.

    [connectors.stripe]               # billing over Stripe (the key: STRIPE_API_KEY)
    base_url = "https://api.stripe.com"

    [connectors.hubspot]              # the CRM over HubSpot (HUBSPOT_ACCESS_TOKEN)
    base_url = "https://api.hubapi.com"

    [connectors.zendesk]              # support over Zendesk (ZENDESK_EMAIL, ZENDESK_API_TOKEN)
    base_url = "https://northwind.zendesk.com"

    [connectors.mcp.desk]             # any MCP server, by command (stdio) or url (HTTP)
    command = ["python", "-m", "connectors.mcp.demo_server"]

    [connectors.google]               # Gmail and Google Calendar (GOOGLE_APPLICATION_CREDENTIALS)
    subject = "dana.reyes@northwind.example"

    [connectors.rate_limits]          # a budget per system, over a connector's own default
    billing = { per_second = 20, burst = 10 }

Secrets come from the environment only (:data:`SECRET_VARIABLES`), never from the file; they
are ``SecretStr`` everywhere, so no repr, log line or error shows them.

The demo world always runs (the identity layer reads it), configured by the ``CROSSWIRE_DEMO_*``
settings (:class:`DemoConfig`); each other connector configured here serves its systems in place
of the demo world's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.demo.behaviour import DemoBehaviour
from connectors.google.config import GoogleConfig
from connectors.mcp.config import McpServerConfig
from connectors.protocol import RateLimit


class DemoConfig(BaseModel):
    """The demo world: its file, its seed, and the latency and faults injected into it."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    database: Path = Path(".crosswire/demo.sqlite")
    seed: int = 7
    behaviour: DemoBehaviour = Field(default_factory=DemoBehaviour)


class StripeConfig(BaseModel):
    """Stripe as the billing system; ``base_url`` can point at a sandbox, proxy or stand-in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://api.stripe.com"
    api_key: SecretStr | None = Field(None, repr=False)
    api_version: str = "2024-06-20"
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_connections: int = Field(10, ge=1, le=100)

    @field_validator("base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("should be an http:// or https:// URL, e.g. https://api.stripe.com")
        return value.strip().rstrip("/")


def _http_url(value: str, example: str) -> str:
    if not value.strip().startswith(("http://", "https://")):
        raise ValueError(f"should be an http:// or https:// URL, e.g. {example}")
    return value.strip().rstrip("/")


class HubSpotConfig(BaseModel):
    """HubSpot as the CRM; the token is a private app's (scopes: crm.objects.companies.read
    and .write, crm.objects.contacts.read, crm.objects.deals.read, crm.objects.owners.read)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://api.hubapi.com"
    access_token: SecretStr | None = Field(None, repr=False)
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_connections: int = Field(10, ge=1, le=100)

    @field_validator("base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        return _http_url(value, "https://api.hubapi.com")


class ZendeskConfig(BaseModel):
    """Zendesk Support as the support desk: ``base_url`` is the account's own address; the
    agent's ``email`` and API token come from the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    email: str = ""
    api_token: SecretStr | None = Field(None, repr=False)
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_connections: int = Field(10, ge=1, le=100)

    @field_validator("base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        return _http_url(value, "https://northwind.zendesk.com")


MCP_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,30}")


class ConnectorsConfig(BaseModel):
    """Every connector's settings (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stripe: StripeConfig | None = None
    google: GoogleConfig | None = None
    hubspot: HubSpotConfig | None = None
    zendesk: ZendeskConfig | None = None
    # Each MCP server by the system id it serves (its operations are `<id>.<tool>`).
    mcp: dict[str, McpServerConfig] = Field(default_factory=dict)
    rate_limits: dict[str, RateLimit] = Field(default_factory=dict)

    @field_validator("mcp")
    @classmethod
    def _mcp_names(cls, value: dict[str, McpServerConfig]) -> dict[str, McpServerConfig]:
        for name in value:
            if not MCP_NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} should be a short lowercase name such as desk or wiki "
                    "(letters, digits and _), which names its operations: desk.find_tickets"
                )
        return value

    def secrets(self) -> list[str]:
        """Every secret value configured, for the log redactor."""
        keys = [self.stripe.api_key] if self.stripe and self.stripe.api_key else []
        google = self.google.secrets() if self.google else []
        keys += [self.hubspot.access_token] if self.hubspot and self.hubspot.access_token else []
        keys += [self.zendesk.api_token] if self.zendesk and self.zendesk.api_token else []
        mcp = [value for server in self.mcp.values() for value in server.secrets()]
        return [key.get_secret_value() for key in keys] + mcp + google


# Environment variable -> (connector, field): where each connector's secret comes from.
SECRET_VARIABLES: Final[Mapping[str, tuple[str, str]]] = {
    "STRIPE_API_KEY": ("stripe", "api_key"),
    "GOOGLE_APPLICATION_CREDENTIALS": ("google", "key_file"),  # a path, kept with the secrets
    "HUBSPOT_ACCESS_TOKEN": ("hubspot", "access_token"),
    "ZENDESK_EMAIL": ("zendesk", "email"),  # not a secret, but it belongs with the token
    "ZENDESK_API_TOKEN": ("zendesk", "api_token"),
}


def secrets_from(
    environ: Mapping[str, str] | None = None, table: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``[connectors]`` table's secrets from the environment, for the connectors that
    the table configures (a key alone connects nothing)."""
    env = os.environ if environ is None else environ
    configured = table or {}
    found: dict[str, Any] = {}
    for variable, (connector, field) in SECRET_VARIABLES.items():
        value = env.get(variable, "").strip()
        if value and connector in configured:
            found.setdefault(connector, {})[field] = value
    return found


__all__ = [
    "SECRET_VARIABLES",
    "ConnectorsConfig",
    "DemoConfig",
    "HubSpotConfig",
    "StripeConfig",
    "ZendeskConfig",
    "secrets_from",
]

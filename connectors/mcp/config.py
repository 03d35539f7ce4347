"""One MCP server as crosswire.toml configures it: ``[connectors.mcp.<name>]``.

    [connectors.mcp.desk]                       # over stdio: Crosswire starts the server
    command = ["python", "-m", "connectors.mcp.demo_server"]
    env = { DESK_TOKEN = "${DESK_TOKEN}" }      # "${NAME}": from Crosswire's environment

    [connectors.mcp.wiki]                       # over streamable HTTP
    url = "https://wiki.example/mcp"
    headers = { Authorization = "Bearer ${WIKI_TOKEN}" }
    trusted = true                              # believe its tool annotations
    tools = { search = { risk = "low" } }       # the operator's word beats the server's

Secrets stay in the environment: a ``${NAME}`` reference is read when the server is opened,
and its value is handed to the log redactor (:meth:`McpServerConfig.secrets`), never written
to the file, an answer or an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflows.catalog import Risk

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ToolOverride(BaseModel):
    """What the operator says one tool is, over its annotations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access: Literal["read", "write"] | None = None
    risk: Risk | None = None


class McpServerConfig(BaseModel):
    """An MCP server: ``command`` (stdio) or ``url`` (streamable HTTP), not both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command: tuple[str, ...] | None = None
    url: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    label: str | None = None
    trusted: bool = False
    timeout_s: float = Field(30.0, gt=0, le=600)
    tools: dict[str, ToolOverride] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("should be an http:// or https:// URL, e.g. https://host/mcp")
        return value.strip() if value else value

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError(
                'give either command = [...] (a server Crosswire starts) or url = "..." '
                "(a server over streamable HTTP)"
            )
        if self.command is not None and not self.command:
            raise ValueError('command should name the program to start, e.g. ["npx", ...]')
        return self

    def references(self) -> list[str]:
        """The environment variables ``env`` and ``headers`` refer to."""
        values = [*self.env.values(), *self.headers.values()]
        return sorted({name for v in values for name in REFERENCE.findall(v)})

    def missing(self, environ: Mapping[str, str] | None = None) -> list[str]:
        env = os.environ if environ is None else environ
        return [name for name in self.references() if not env.get(name)]

    def secrets(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The values of the referenced variables, for the log redactor."""
        env = os.environ if environ is None else environ
        return [env[name] for name in self.references() if env.get(name)]

    def resolved_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        return _resolve(self.env, environ)

    def resolved_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        return _resolve(self.headers, environ)


def _resolve(values: Mapping[str, str], environ: Mapping[str, str] | None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {k: REFERENCE.sub(lambda m: env.get(m.group(1), ""), v) for k, v in values.items()}


__all__ = ["McpServerConfig", "ToolOverride"]

"""An MCP server's tools as catalog operations: ``<server>.<tool>``, with the tool's input
schema, its result in a typed wrapper, and a risk read from its annotations only as far as
the server is trusted.

    read-only (readOnlyHint)                               read,  LOW
    additive and idempotent (destructiveHint false,
      idempotentHint true)                                 write, MEDIUM, irreversible
    anything else: destructive, unannotated, or any
      write of a server that is not trusted                write, HIGH,   irreversible

Annotations are the server's hints about itself, so an untrusted server's tools are all
treated as destructive writes (a HIGH-risk write waits for approval); the operator may say
otherwise per tool in crosswire.toml. An MCP write has no compensating operation, so none is
reversible. A tool's result is the server's text: the engine treats it as data, never as an
instruction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from mcp import types
from pydantic import BaseModel, ConfigDict

from connectors.mcp.config import ToolOverride
from connectors.mcp.schema import ToolInput, input_model
from connectors.mcp.session import McpLink
from workflows.catalog import AnyOperation, CallContext, Operation, Risk
from workflows.errors import PermanentOperationError

MAX_TEXT: Final = 20_000  # characters of a tool's text kept for the answer
MAX_ERROR: Final = 200  # characters of a tool's own error text shown to people


class ToolOutput(BaseModel):
    """What a tool answered: its structured content when it gives one, and its text."""

    model_config = ConfigDict(frozen=True)

    structured: dict[str, Any] | None = None
    text: str = ""


@dataclass(frozen=True)
class Classified:
    access: Literal["read", "write"]
    risk: Risk


def classify(tool: types.Tool, *, trusted: bool, override: ToolOverride | None) -> Classified:
    """The access and risk of ``tool`` (see the module docstring)."""
    hints = tool.annotations or types.ToolAnnotations()
    if not trusted:
        found = Classified("write", Risk.HIGH)
    elif hints.readOnlyHint is True:
        found = Classified("read", Risk.LOW)
    elif hints.destructiveHint is False and hints.idempotentHint is True:
        found = Classified("write", Risk.MEDIUM)
    else:
        found = Classified("write", Risk.HIGH)
    if override is None:
        return found
    return Classified(override.access or found.access, override.risk or found.risk)


def tool_operations(
    link: McpLink,
    tools: list[types.Tool],
    *,
    trusted: bool,
    overrides: Mapping[str, ToolOverride],
) -> list[AnyOperation]:
    """One operation per tool the server listed."""
    operations: list[AnyOperation] = []
    for tool in tools:
        kind = classify(tool, trusted=trusted, override=overrides.get(tool.name))
        title = tool.annotations.title if tool.annotations and tool.annotations.title else ""
        description = (tool.description or title or tool.name).strip()
        operations.append(
            Operation(
                f"{link.system}.{tool.name}",
                link.system,
                f"{description} (a tool of the {link.label} MCP server)",
                input_model(tool.name, dict(tool.inputSchema)),
                ToolOutput,
                _Call(link, tool.name).run,
                access=kind.access,
                risk=kind.risk,
                reversible=kind.access == "read",
            )
        )
    return operations


@dataclass(frozen=True)
class _Call:
    link: McpLink
    tool: str

    async def run(self, inp: ToolInput, ctx: CallContext) -> ToolOutput:
        result = await self.link.call(self.tool, inp.arguments())
        text = _text(result.content)
        if result.isError:
            said = " ".join(text.split())
            for secret in self.link.config.secrets():  # a server may echo what it was given
                said = said.replace(secret, "[redacted]")
            said = said[:MAX_ERROR] or "no reason given"
            raise PermanentOperationError(
                f"The {self.link.label} tool {self.tool} failed: {said}", system=self.link.system
            )
        structured = result.structuredContent
        if isinstance(structured, dict):  # its text is the same content again
            return ToolOutput(structured=dict(structured))
        return ToolOutput(text=text[:MAX_TEXT])


def _text(content: list[types.ContentBlock]) -> str:
    parts: list[str] = []
    for block in content:
        if isinstance(block, types.TextContent):
            parts.append(block.text)
        elif isinstance(block, types.EmbeddedResource):
            resource = block.resource
            if isinstance(resource, types.TextResourceContents):
                parts.append(resource.text)
        elif isinstance(block, types.ResourceLink):
            parts.append(json.dumps({"resource": str(block.uri), "name": block.name}))
        else:
            parts.append(f"[{block.type} content left out]")
    return "\n".join(parts)


__all__ = ["ToolOutput", "classify", "tool_operations"]

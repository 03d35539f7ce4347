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

Every call sends its idempotency key (run, step and item) in the request's ``_meta``. A tool
that may not be repeated (every write but a trusted server's idempotent one) is called at most
once per key: a retry after a timeout or a dropped connection fails the step, saying the tool
may have run, rather than running it twice (:mod:`.session`), and its operation is not
``repeatable``, so a run resumed after the process died does not send it again either
(``workflows.engine.once``).
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
    """What a tool answered: the fields of its structured content, at the top level (so a
    list of records reads as any operation's, ``tickets``), or else its ``text``."""

    model_config = ConfigDict(frozen=True, extra="allow")

    text: str | None = None

    @property
    def structured(self) -> dict[str, Any] | None:
        """The structured content's fields, None when the tool gave only text."""
        return dict(self.model_extra) if self.model_extra else None

    @classmethod
    def of(cls, structured: dict[str, Any] | None, text: str) -> ToolOutput:
        if not structured:
            return cls(text=text[:MAX_TEXT])
        fields = dict(structured)  # its text is the same content again
        if "text" in fields and not isinstance(fields["text"], str | None):
            fields["text"] = json.dumps(fields["text"])[:MAX_TEXT]
        return cls.model_validate(fields)


@dataclass(frozen=True)
class Classified:
    access: Literal["read", "write"]
    risk: Risk
    # Whether calling it again with the same arguments is harmless: a read, or a trusted
    # server's idempotent write.
    repeatable: bool = False


def classify(tool: types.Tool, *, trusted: bool, override: ToolOverride | None) -> Classified:
    """The access and risk of ``tool`` (see the module docstring)."""
    hints = tool.annotations or types.ToolAnnotations()
    if not trusted:
        found = Classified("write", Risk.HIGH)
    elif hints.readOnlyHint is True:
        found = Classified("read", Risk.LOW, repeatable=True)
    elif hints.destructiveHint is False and hints.idempotentHint is True:
        found = Classified("write", Risk.MEDIUM, repeatable=True)
    else:
        found = Classified("write", Risk.HIGH, repeatable=hints.idempotentHint is True)
    if override is None:
        return found
    access = override.access or found.access
    return Classified(access, override.risk or found.risk, found.repeatable or access == "read")


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
                _Call(link, tool.name, once=not kind.repeatable).run,
                access=kind.access,
                risk=kind.risk,
                reversible=kind.access == "read",
                repeatable=kind.repeatable,
            )
        )
    return operations


@dataclass(frozen=True)
class _Call:
    link: McpLink
    tool: str
    once: bool = True

    async def run(self, inp: ToolInput, ctx: CallContext) -> ToolOutput:
        key = ctx.idempotency_key
        result = await self.link.call(self.tool, inp.arguments(), key=key, once=self.once)
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
        return ToolOutput.of(dict(structured) if isinstance(structured, dict) else None, text)


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

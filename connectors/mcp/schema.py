"""A tool's JSON input schema as a pydantic model, so a plan's arguments are checked before
the call: top-level properties become typed fields (required or with their default), unknown
arguments are refused, and the whole schema is then checked with ``jsonschema`` (lengths,
ranges, nested shapes). The planner is shown the tool's own schema."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list[Any],
    "object": dict[str, Any],
    "null": type(None),
}


class ToolInput(BaseModel):
    """The arguments of one MCP tool (a subclass per tool carries its schema)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    tool_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    @model_validator(mode="after")
    def _whole_schema(self) -> ToolInput:
        try:
            jsonschema.validate(self.arguments(), self.tool_schema)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "arguments"
            raise ValueError(f"{where}: {exc.message}") from None
        except jsonschema.SchemaError:
            pass  # the server's schema is broken; the typed fields have been checked
        return self

    def arguments(self) -> dict[str, Any]:
        """The arguments as the tool takes them (its own names; unset ones left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return dict(cls.tool_schema)


def input_model(tool: str, schema: dict[str, Any]) -> type[ToolInput]:
    """The model of ``tool``'s arguments from its ``inputSchema``."""
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = set(schema.get("required") or ())
    fields: dict[str, Any] = {}
    for i, (name, spec) in enumerate(properties.items()):
        spec = spec if isinstance(spec, dict) else {}
        kind = _python_type(spec)
        # A field is named as the tool names it (plans are checked against field names);
        # one that would shadow pydantic's own attributes is kept under an alias.
        field = f"arg_{i}" if name.startswith("_") or hasattr(BaseModel, name) else name
        if name in required:
            fields[field] = (kind, Field(alias=name))
        else:
            fields[field] = (kind | None, Field(spec.get("default"), alias=name))
    model = create_model(f"{_camel(tool)}Input", __base__=ToolInput, **fields)
    model.tool_schema = {"type": "object", **schema}
    return model


def _python_type(spec: dict[str, Any]) -> Any:
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return Literal[tuple(spec["enum"])]
    kind = spec.get("type")
    if isinstance(kind, str) and kind in JSON_TYPES:
        return JSON_TYPES[kind]
    if isinstance(kind, list) and kind and all(k in JSON_TYPES for k in kind):
        found: Any = JSON_TYPES[kind[0]]
        for k in kind[1:]:
            found = found | JSON_TYPES[k]
        return found
    return Any  # anyOf, $ref and the rest: the whole-schema check decides


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_") if part)


__all__ = ["ToolInput", "input_model"]

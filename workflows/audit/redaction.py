"""Secrets kept out of what is written down: logs and the audit record.

Slack tokens (``xoxb-…``, ``xoxp-…``, ``xapp-…``), Anthropic keys (``sk-ant-…``), bearer
credentials, and any value the caller names (a signing secret has no recognisable shape) are
replaced by their kind and ``[redacted]``, wherever they appear in a text or a nested value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
# The shortest configured value worth hunting for: shorter ones would hit ordinary words.
MIN_SECRET_LENGTH = 8
_SHAPES = re.compile(r"(?P<kind>xox[abeoprs]-|xapp-|sk-ant-|Bearer\s+)[A-Za-z0-9][A-Za-z0-9._\-]*")


class Redactor:
    """Replaces secrets in texts and in JSON-like values (dicts, lists, tuples, strings)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._values = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def text(self, text: str) -> str:
        """``text`` with every secret replaced."""
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        return _SHAPES.sub(lambda m: m.group("kind") + REDACTED, text)

    def value(self, value: Any) -> Any:
        """A copy of ``value`` with every string in it redacted (other values as they are)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value


SHAPES_ONLY = Redactor()

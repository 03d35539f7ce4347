"""Text every store and system accepts: no U+0000 and no lone surrogates.

People paste anything into Slack, and JSON can carry ``\\u0000`` or half of a surrogate pair.
PostgreSQL refuses NUL in text (``invalid byte sequence for encoding "UTF8": 0x00``) and a lone
surrogate cannot be encoded as UTF-8 at all, so either would make a write fail after the person
has been told their request was recorded. NUL carries no meaning in a chat message: it is
dropped. A lone surrogate becomes U+FFFD, the replacement character, so the text keeps its shape.
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def storable(text: str) -> str:
    """``text`` without NUL, lone surrogates replaced; the same object when already clean."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(_replacement, text)


def scrubbed(value: Any) -> Any:
    """``value`` with every string in it made :func:`storable`, keys included, walking dicts,
    lists and tuples (JSON-shaped data); anything else is returned as it is."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {scrubbed(k): scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(v) for v in value]
    if isinstance(value, tuple):
        return tuple(scrubbed(v) for v in value)
    return value

"""Text every store and system accepts: no U+0000 and no lone surrogates.

People paste anything into Slack, and JSON can carry ``\\u0000`` or half of a surrogate pair.
PostgreSQL refuses NUL in text (``invalid byte sequence for encoding "UTF8": 0x00``) and a lone
surrogate cannot be encoded as UTF-8 at all, so either would make a write fail after the person
has been told their request was recorded. NUL carries no meaning in a chat message: it is
dropped. A lone surrogate becomes U+FFFD, the replacement character, so the text keeps its shape.

Almost nothing needs cleaning, so data is first looked at in one JSON pass (C speed): every
string in it, keys included, is in the text, NUL as ``\\u0000`` and surrogates as they are.
Only data that may hold something unstorable is walked.
"""

from __future__ import annotations

import json
import re
from typing import Any

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def storable(text: str) -> str:
    """``text`` without NUL, lone surrogates replaced; the same object when already clean."""
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(_replacement, text)


def scrubbed(value: Any) -> Any:
    """``value`` with every string in it made :func:`storable`, keys included, walking dicts,
    lists and tuples (JSON-shaped data); anything else is returned as it is. Clean data is
    returned as it is, after one JSON pass."""
    if isinstance(value, str):
        return storable(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=_not_text)
    except (TypeError, ValueError):  # keys JSON cannot hold: walk to be sure
        return _walked(value)
    return _walked(value) if _may_be_unstorable(text) else value


def storable_json(value: Any) -> str:
    """``value`` as JSON text with every string in it made :func:`storable`: a JSON column's
    serializer (``sqlalchemy.create_engine(json_serializer=...)``), so that cleaning costs
    nothing besides the one serialisation a write does anyway."""
    text = json.dumps(value, ensure_ascii=False)
    return json.dumps(_walked(value), ensure_ascii=False) if _may_be_unstorable(text) else text


def _may_be_unstorable(text: str) -> bool:
    """Whether JSON text written with ``ensure_ascii=False`` may hold NUL (written
    ``\\u0000``) or a surrogate (written as it is). Text with a backslash before "u0000"
    of its own is a false alarm, settled by the walk; nothing unstorable goes unnoticed."""
    return "\\u0000" in text or (not text.isascii() and _SURROGATE.search(text) is not None)


def _not_text(_: object) -> None:
    """Anything JSON cannot hold is returned as it is by the walk: no need to look at it."""
    return None


def _walked(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {_walked(k): _walked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_walked(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_walked(v) for v in value)
    return value

"""Block Kit's limits, and the one place where text is cut to fit them.

Slack refuses a message that breaks a limit (``invalid_blocks``, ``msg_too_long``,
``msg_blocks_too_long``); Crosswire never lets that happen: a long value is cut with an
ellipsis, a message with too many blocks says how many it left out, and a message whose block
text adds up past Slack's total is trimmed from its longest texts first. Every block builder
goes through :mod:`bot.render.kit`, which goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

ELLIPSIS = "…"

SECTION_TEXT = 3_000
FIELD_TEXT = 2_000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
ACTIONS_ELEMENTS = 25
MARKDOWN_TEXT = 12_000
MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100
"""Blocks in a Home tab or a modal."""
FALLBACK_TEXT = 40_000
MESSAGE_TEXT_TOTAL = 12_000
"""Block text per message: Slack refuses about 13,000 characters in total; keep a margin."""

INLINE_VALUE = 120
"""A value shown inside a line (a customer as typed, a name): longer ones are cut."""

# A cut must not leave half of a Slack token behind: `<!date^…|…>`, `<@U…>` or `&amp;`.
_OPEN_TOKEN = re.compile(r"<[^>]*$")
_OPEN_ENTITY = re.compile(r"&[a-z]{0,4}$")


def cut(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and an ellipsis.

    The start never ends inside a Slack token or entity, and trailing spaces are dropped, so
    the result renders as what it was, only shorter.
    """
    if len(text) <= limit:
        return text
    head = text[: max(limit - len(ELLIPSIS), 0)]
    head = _OPEN_ENTITY.sub("", _OPEN_TOKEN.sub("", head))
    return head.rstrip() + ELLIPSIS


def blocks_within(blocks: Sequence[Any], limit: int) -> tuple[list[Any], int]:
    """At most ``limit - 1`` blocks if there are more than ``limit``, and how many were left
    out (the caller adds one block saying so); all of them, and 0, otherwise."""
    if len(blocks) <= limit:
        return list(blocks), 0
    return list(blocks[: limit - 1]), len(blocks) - (limit - 1)


def fit_total(blocks: list[dict[str, Any]], budget: int = MESSAGE_TEXT_TOTAL) -> None:
    """Cut the longest texts of ``blocks`` (in place) until their total fits ``budget``.

    Short texts are left alone: every text longer than a common cap is cut to it, and the cap
    is the largest that fits, so a briefing with one huge section loses only that section's end.
    """
    texts = list(_text_objects(blocks))
    lengths = [len(t["text"]) for t in texts]
    if sum(lengths) <= budget:
        return
    cap = _largest_cap(lengths, budget)
    for text in texts:
        text["text"] = cut(text["text"], cap)


def total_text(blocks: list[dict[str, Any]]) -> int:
    """The characters of block text in ``blocks``: what Slack's total per message counts."""
    return sum(len(t["text"]) for t in _text_objects(blocks))


def _largest_cap(lengths: list[int], budget: int) -> int:
    """The largest ``cap`` with ``sum(min(n, cap)) <= budget`` (binary search)."""
    low, high = 1, max(lengths)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(n, mid) for n in lengths) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _text_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every text object (``{"type": "mrkdwn"|"plain_text", "text": …}``) under ``node``."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
            return
        for value in node.values():
            yield from _text_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _text_objects(item)

"""Block Kit constructors that respect Slack's limits, and the message they add up to.

Builders in :mod:`bot.render.blocks` make blocks only through these functions, and every
message's blocks leave through :func:`fit` (:func:`surface` for a Home tab or modal) and its
text through :func:`fallback`, so nothing Crosswire sends can be refused for its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.render import limits


def mrkdwn(text: str, limit: int = limits.SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=limits.cut(text, limit))


def section(text: str) -> SectionBlock:
    """A section of mrkdwn ``text`` (cut to Slack's 3,000 characters)."""
    return SectionBlock(text=mrkdwn(text))


def fields(texts: Sequence[str]) -> SectionBlock:
    """A two-column section: at most 10 fields of at most 2,000 characters each."""
    kept = texts[: limits.SECTION_FIELDS]
    return SectionBlock(fields=[mrkdwn(t, limits.FIELD_TEXT) for t in kept])


def header(text: str) -> HeaderBlock:
    """A header: plain text, cut to Slack's 150 characters."""
    return HeaderBlock(text=PlainTextObject(text=limits.cut(text, limits.HEADER_TEXT)))


def context(*texts: str) -> ContextBlock:
    """A context line of up to 10 mrkdwn elements."""
    kept = texts[: limits.CONTEXT_ELEMENTS]
    return ContextBlock(elements=[mrkdwn(t) for t in kept])


def button(text: str, action_id: str, value: str) -> ButtonElement:
    """A button whose label is cut to Slack's 75 characters."""
    return ButtonElement(
        text=PlainTextObject(text=limits.cut(text, limits.BUTTON_TEXT)),
        action_id=action_id,
        value=value,
    )


def actions(buttons: Sequence[ButtonElement]) -> ActionsBlock:
    """A row of at most 25 buttons."""
    return ActionsBlock(elements=list(buttons[: limits.ACTIONS_ELEMENTS]))


def fallback(text: str) -> str:
    """A message's notification ``text``, within Slack's 40,000 characters."""
    return limits.cut(text, limits.FALLBACK_TEXT)


def fit(
    blocks: Sequence[Block],
    *,
    limit: int = limits.MESSAGE_BLOCKS,
    budget: int | None = limits.MESSAGE_TEXT_TOTAL,
) -> list[dict[str, Any]]:
    """``blocks`` as the JSON Slack accepts in a message: at most 50 (the last then says how
    many more there were), their text within Slack's total per message."""
    kept, left_out = limits.blocks_within(blocks, limit)
    if left_out:
        kept.append(context(f"…and {left_out} more not shown here."))
    dicts = [b.to_dict() for b in kept]
    if budget is not None:
        limits.fit_total(dicts, budget)
    return dicts


def surface(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """The blocks of a Home tab or modal: at most 100."""
    return fit(blocks, limit=limits.SURFACE_BLOCKS, budget=None)

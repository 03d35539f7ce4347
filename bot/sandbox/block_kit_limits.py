"""Block Kit's limits as Slack enforces them, for the Web API stand-in.

Slack refuses a message whose blocks break a limit with ``invalid_blocks``, the reasons in
``errors`` and in ``response_metadata.messages``, each naming the offending field by JSON
pointer (``[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]``);
``text`` over 40,000 characters with ``msg_too_long``; and a message whose block text adds up
past about 13,000 characters with ``msg_blocks_too_long``. This module is written from Slack's
documented limits, independently of the code that renders Crosswire's messages, so a test
against the stand-in shows what Slack would do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bot.sandbox.slack_workspace import SlackError

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.publish", "views.open", "views.update", "views.push"})

TEXT_MAX = 40_000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
BLOCK_TEXT_TOTAL_MAX = 13_000
TEXT_OBJECT_MAX = 3_000
FIELD_MAX = 2_000
FIELDS_MAX = 10
HEADER_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
MARKDOWN_MAX = 12_000
ID_MAX = 255


class BlockKitError(SlackError):
    """A refusal for the content of a message or view, with Slack's extra answer fields."""

    def __init__(self, error: str, problems: list[str] | None = None) -> None:
        super().__init__(error)
        self.problems = problems or []

    @property
    def answer_fields(self) -> dict[str, Any]:
        """The fields Slack adds to ``{"ok": false, "error": …}`` for this refusal."""
        if not self.problems:
            return {}
        messages = [f"[ERROR] {p}" for p in self.problems]
        return {"errors": self.problems, "response_metadata": {"messages": messages}}


def check_call(method: str, args: Mapping[str, Any]) -> None:
    """Refuse ``method``'s arguments as Slack would if they break Block Kit's limits."""
    if method in MESSAGE_METHODS:
        check_message(args)
    elif method in VIEW_METHODS and isinstance(args.get("view"), Mapping):
        check_blocks(args["view"].get("blocks"), VIEW_BLOCKS_MAX, "/view/blocks")


def check_message(args: Mapping[str, Any]) -> None:
    """A message's ``text`` and ``blocks``: ``msg_too_long``, ``invalid_blocks`` or
    ``msg_blocks_too_long`` when Slack would refuse them."""
    text = args.get("text")
    if isinstance(text, str) and len(text) > TEXT_MAX:
        raise BlockKitError("msg_too_long")
    blocks = args.get("blocks")
    check_blocks(blocks, MESSAGE_BLOCKS_MAX, "/blocks")
    if isinstance(blocks, list) and sum(len(t) for t in _texts(blocks)) > BLOCK_TEXT_TOTAL_MAX:
        raise BlockKitError("msg_blocks_too_long")


def check_blocks(blocks: Any, most: int, pointer: str) -> None:
    """``invalid_blocks`` with every problem found, if there are any."""
    if blocks is None:
        return
    if not isinstance(blocks, list):
        raise BlockKitError("invalid_blocks_format")
    problems = list(_too_many(blocks, most, pointer))
    for i, block in enumerate(blocks):
        problems += _block_problems(block, f"{pointer}/{i}")
    if problems:
        raise BlockKitError("invalid_blocks", problems)


def _block_problems(block: Any, at: str) -> list[str]:
    if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
        return [_at("missing required field: type", at)]
    problems = list(_max_length(block.get("block_id"), ID_MAX, f"{at}/block_id"))
    match block["type"]:
        case "section":
            problems += _section(block, at)
        case "header":
            problems += _text_object(block.get("text"), HEADER_MAX, f"{at}/text", plain=True)
        case "context":
            problems += _elements(block.get("elements"), CONTEXT_ELEMENTS_MAX, f"{at}/elements")
        case "actions":
            problems += _elements(block.get("elements"), ACTIONS_ELEMENTS_MAX, f"{at}/elements")
        case "markdown":
            problems += _max_length(block.get("text"), MARKDOWN_MAX, f"{at}/text")
    return problems


def _section(block: Mapping[str, Any], at: str) -> Iterator[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        yield _at("must provide either text or fields", at)
    if text is not None:
        yield from _text_object(text, TEXT_OBJECT_MAX, f"{at}/text")
    if fields is not None:
        yield from _too_many(fields, FIELDS_MAX, f"{at}/fields")
        for i, item in enumerate(fields if isinstance(fields, list) else []):
            yield from _text_object(item, FIELD_MAX, f"{at}/fields/{i}")
    accessory = block.get("accessory")
    if isinstance(accessory, Mapping):
        yield from _element(accessory, f"{at}/accessory")


def _elements(elements: Any, most: int, at: str) -> Iterator[str]:
    if not isinstance(elements, list) or not elements:
        yield _at("must contain at least 1 item", at)
        return
    yield from _too_many(elements, most, at)
    for i, element in enumerate(elements):
        yield from _element(element, f"{at}/{i}")


def _element(element: Any, at: str) -> Iterator[str]:
    if not isinstance(element, Mapping):
        yield _at("must be an object", at)
    elif element.get("type") in ("plain_text", "mrkdwn"):
        yield from _text_object(element, TEXT_OBJECT_MAX, at)
    elif element.get("type") == "button":
        yield from _text_object(element.get("text"), BUTTON_TEXT_MAX, f"{at}/text", plain=True)
        yield from _max_length(element.get("action_id"), ID_MAX, f"{at}/action_id")
        yield from _max_length(element.get("value"), FIELD_MAX, f"{at}/value")


def _text_object(obj: Any, most: int, at: str, *, plain: bool = False) -> Iterator[str]:
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, Mapping) or obj.get("type") not in kinds:
        yield _at(f"must be a text object of type {' or '.join(kinds)}", at)
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        yield _at("must be more than 0 characters", f"{at}/text")
    else:
        yield from _max_length(text, most, f"{at}/text")


def _max_length(value: Any, most: int, at: str) -> Iterator[str]:
    if isinstance(value, str) and len(value) > most:
        yield _at(f"must be less than {most + 1} characters", at)


def _too_many(items: Any, most: int, at: str) -> Iterator[str]:
    if isinstance(items, list) and len(items) > most:
        yield _at(f"no more than {most} items allowed", at)


def _at(problem: str, pointer: str) -> str:
    return f"{problem} [json-pointer:{pointer}]"


def _texts(node: Any) -> Iterator[str]:
    """The text of every text object under ``node``."""
    if isinstance(node, Mapping):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node["text"]
            return
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)

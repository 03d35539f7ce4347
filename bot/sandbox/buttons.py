"""The buttons the sandbox chat has shown, numbered so a person can press one by its number.

Every button on a message, an ephemeral message or a Home tab gets a number the first time it
is shown (``[1] Approve all  [2] Reject``), and keeps it while it stays where it was: the same
button on an edited message has the same number. A button is known by where it is, its block
and its action id and value, as Slack identifies the click it sends.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.render.terminal import ButtonText

Surface = Literal["message", "ephemeral", "home"]


@dataclass(frozen=True)
class Place:
    """Where buttons are: a message (``channel``, ``ts``), a message shown to ``user`` only, or
    ``user``'s Home tab (``ts`` then holds the view id)."""

    surface: Surface
    channel: str
    ts: str
    user: str | None = None


@dataclass(frozen=True)
class Button:
    """One numbered button: where it is, its block id, and the element as it was posted."""

    number: int
    place: Place
    block_id: str
    element: Mapping[str, Any]

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id", ""))

    @property
    def value(self) -> str:
        return str(self.element.get("value", ""))

    @property
    def key(self) -> tuple[Place, str, str, str]:
        return (self.place, self.block_id, self.action_id, self.value)


class ButtonBoard:
    """Numbers for the buttons shown so far, from 1 up, in the order they were shown."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[Place, str, str, str], int] = {}
        self._buttons: list[Button] = []

    def numbered(self, place: Place, blocks: Sequence[Mapping[str, Any]]) -> ButtonText:
        """Number the buttons in ``blocks`` at ``place``; how each of them then reads."""
        shown = {id(element): self._number(place, block_id, element)
                 for block_id, element in buttons_in(blocks)}  # fmt: skip

        def text(element: Mapping[str, Any], label: str) -> str:
            number = shown.get(id(element))
            return f"[{number}] {label}" if number is not None else f"[ {label} ]"

        return text

    def get(self, number: int) -> Button | None:
        return self._buttons[number - 1] if 0 < number <= len(self._buttons) else None

    def _number(self, place: Place, block_id: str, element: Mapping[str, Any]) -> int:
        button = Button(len(self._buttons) + 1, place, block_id, copy.deepcopy(element))
        if button.key not in self._numbers:
            self._numbers[button.key] = button.number
            self._buttons.append(button)
        return self._numbers[button.key]


def buttons_in(blocks: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each button in ``blocks`` (in actions blocks and as section accessories), with the id of
    its block (see `with_block_ids`)."""
    for index, block in enumerate(blocks):
        block_id = block_id_of(block, index)
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, Mapping) and element.get("type") == "button":
                    yield block_id, element
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping) and accessory.get("type") == "button":
            yield block_id, accessory


def still_there(button: Button, blocks: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ``blocks`` (a message's latest version) still hold ``button``."""
    return any(
        block_id == button.block_id
        and element.get("action_id") == button.action_id
        and str(element.get("value", "")) == button.value
        for block_id, element in buttons_in(blocks)
    )


def block_id_of(block: Mapping[str, Any], index: int) -> str:
    """A block's id; Slack gives one to each block posted without, and so does the sandbox."""
    return str(block.get("block_id") or f"sandbox-block-{index}")


def with_block_ids(blocks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``blocks`` in which each block has its id, as Slack sends them back."""
    return [{**copy.deepcopy(dict(b)), "block_id": block_id_of(b, i)} for i, b in enumerate(blocks)]

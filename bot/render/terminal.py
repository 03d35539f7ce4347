"""Slack markup as terminal text: one renderer for ``crosswire ask`` and the sandbox chat.

Slack's mrkdwn (``*bold*``, ``_italic_``, ``~strike~``, `` `code` ``, ``<url|label>``,
``<@U…>``, ``<!date^…|fallback>``, ``&amp;`` escapes) and emoji names (``:x:``) become what a
person would see in Slack: styled with ANSI escapes when the output is a terminal, plain text
otherwise, and never with the markers themselves.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from bot.render.emoji import EMOJI, emojize

_CODE = re.compile(r"```(?P<block>.*?)```|`(?P<inline>[^`\n]+)`", re.DOTALL)
_ANGLE = re.compile(r"<(?P<inner>[^<>\n]+)>")
# Slack emphasis needs a marker at a word boundary, hugging non-space text (so ``2 * 3 * 4``
# and ``snake_case_names`` stay as they are).
_EMPHASIS = {
    "bold": re.compile(r"(?<![\w*])\*(?=\S)(?P<text>[^*\n]*?\S)\*(?![\w*])"),
    "italic": re.compile(r"(?<![\w_])_(?=\S)(?P<text>[^_\n]*?\S)_(?![\w_])"),
    "strike": re.compile(r"(?<![\w~])~(?=\S)(?P<text>[^~\n]*?\S)~(?![\w~])"),
}
_SGR = {"bold": ("1", "22"), "italic": ("3", "23"), "strike": ("9", "29"), "code": ("36", "39")}
# Placeholders for already-rendered pieces, from Unicode's private use area (never in input).
_HOLD = "\ue000{}\ue001"
_HELD = re.compile("\ue000(\\d+)\ue001")
_DATE_TOKENS: dict[str, Callable[[datetime], str]] = {
    "date_num": lambda d: f"{d:%Y-%m-%d}",
    "date": lambda d: f"{d:%B} {d.day}, {d.year}",
    "date_short": lambda d: f"{d:%b} {d.day}, {d.year}",
    "date_long": lambda d: f"{d:%A}, {d:%B} {d.day}, {d.year}",
    "date_pretty": lambda d: f"{d:%B} {d.day}, {d.year}",
    "date_short_pretty": lambda d: f"{d:%b} {d.day}, {d.year}",
    "date_long_pretty": lambda d: f"{d:%A}, {d:%B} {d.day}, {d.year}",
    # A terminal has no reader profile: the zone is named so the time is never ambiguous.
    "time": lambda d: f"{d:%H:%M %Z}",
    "time_secs": lambda d: f"{d:%H:%M:%S %Z}",
}


def wants_ansi(stream: TextIO) -> bool:
    """Whether to style output for ``stream``: a terminal, unless ``NO_COLOR`` is set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


@dataclass(frozen=True)
class _Pieces:
    """Rendered pieces held out of the text while the rest is parsed."""

    held: list[str]

    def hold(self, text: str) -> str:
        self.held.append(text)
        return _HOLD.format(len(self.held) - 1)

    def restore(self, text: str) -> str:
        while _HELD.search(text):
            text = _HELD.sub(lambda m: self.held[int(m.group(1))], text)
        return text


def mrkdwn(text: str, *, ansi: bool = False) -> str:
    """``text`` (Slack mrkdwn) as terminal text; see the module docstring."""
    pieces = _Pieces([])
    text = _CODE.sub(lambda m: pieces.hold(_code(m, ansi)), text)
    text = _ANGLE.sub(lambda m: pieces.hold(_unescape(_angle(m.group("inner")))), text)
    text = _unescape(emojize(text))
    return pieces.restore(_emphasize(text, tuple(_EMPHASIS), pieces, ansi))


def _emphasize(text: str, styles: tuple[str, ...], pieces: _Pieces, ansi: bool) -> str:
    """Apply the first style, then the rest, inside and around it (``*bold _and italic_*``)."""
    if not styles:
        return text
    first, rest = styles[0], styles[1:]

    def held(match: re.Match[str]) -> str:
        inner = _emphasize(match.group("text"), rest, pieces, ansi)
        return pieces.hold(style(pieces.restore(inner), first, ansi))

    return _emphasize(_EMPHASIS[first].sub(held, text), rest, pieces, ansi)


def style(text: str, kind: str, ansi: bool) -> str:
    """``text`` in a style (bold, italic, strike, code) when ``ansi``; else as it is."""
    if not ansi:
        return text
    on, off = _SGR[kind]
    return f"\x1b[{on}m{text}\x1b[{off}m"


def _code(match: re.Match[str], ansi: bool) -> str:
    block = match.group("block")
    if block is not None:
        return _unescape(block.strip("\n"))
    inline = _unescape(match.group("inline"))
    return style(inline, "code", True) if ansi else f"`{inline}`"


def _unescape(text: str) -> str:
    """Undo Slack's three escapes (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _angle(inner: str) -> str:
    """One ``<…>`` token: a link, a mention, a channel, a special mention or a date."""
    target, _, label = inner.partition("|")
    if target.startswith("!date^"):
        return _date(target, label)
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    if label and label != target:
        return f"{label} ({target})"
    return target


def _date(target: str, fallback: str) -> str:
    """``<!date^ts^format|fallback>`` in this machine's time zone, as Slack shows a reader
    theirs; the fallback when the format has a token we do not know."""
    parts = target.split("^")
    try:
        when = datetime.fromtimestamp(int(parts[1])).astimezone()
    except (IndexError, ValueError, OverflowError, OSError):
        return fallback
    rendered = re.sub(
        r"\{(\w+)\}",
        lambda m: _DATE_TOKENS[m.group(1)](when) if m.group(1) in _DATE_TOKENS else "\0",
        parts[2] if len(parts) > 2 else "{date_short} {time}",
    )
    return fallback if "\0" in rendered or not rendered else rendered


def text_object(obj: object, *, ansi: bool = False) -> str:
    """A Block Kit text object (or a bare string, read as mrkdwn) as terminal text."""
    if isinstance(obj, str):
        return mrkdwn(obj, ansi=ansi)
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "plain_text":
        return emojize(text) if obj.get("emoji", True) else text
    return mrkdwn(text, ansi=ansi)


ButtonText = Callable[[Mapping[str, Any], str], str]
"""How a button reads: given the button element and its label, e.g. ``[1] Approve all``."""


def boxed(_: Mapping[str, Any], label: str) -> str:
    """A button as ``[ label ]``: the default look of a button nobody numbered."""
    return f"[ {label} ]"


def blocks_text(
    blocks: Sequence[Mapping[str, Any]], *, ansi: bool = False, button: ButtonText = boxed
) -> str:
    """Block Kit as a person reads it in a terminal: one or more lines per block.

    ``button`` says how a button reads (``[ label ]`` unless told otherwise). An input block
    (in a modal) reads as its label, its initial value and its numbered choices."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(_block_lines(block, _Look(ansi, button)))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Look:
    ansi: bool
    button: ButtonText


def _block_lines(block: Mapping[str, Any], look: _Look) -> list[str]:
    kind, ansi = block.get("type"), look.ansi
    if kind == "header":
        return [style(text_object(block.get("text"), ansi=ansi), "bold", ansi)]
    if kind == "section":
        lines = [text_object(block["text"], ansi=ansi)] if block.get("text") else []
        lines += [text_object(f, ansi=ansi) for f in block.get("fields") or []]
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping) and accessory.get("type") == "button":
            lines.append("   " + _element(accessory, look))
        return lines
    if kind == "markdown":
        return [_markdown(str(block.get("text", "")), ansi)]
    if kind in ("context", "actions"):
        return ["   " + "  ".join(_element(e, look) for e in block.get("elements") or [])]
    if kind == "divider":
        return ["─" * 40]
    if kind == "rich_text":
        return [_rich_text(block)]
    if kind == "table":
        return [" | ".join(_cell(c) for c in row) for row in block.get("rows") or []]
    if kind == "input":
        return _input_lines(block, ansi)
    return []


def _element(element: Mapping[str, Any], look: _Look) -> str:
    if element.get("type") == "button":
        return look.button(element, text_object(element.get("text"), ansi=look.ansi))
    if element.get("type") == "image":
        return str(element.get("alt_text", ""))
    return text_object(element, ansi=look.ansi)


CHOICES = ("radio_buttons", "checkboxes", "static_select", "multi_static_select")


def _input_lines(block: Mapping[str, Any], ansi: bool) -> list[str]:
    """An input: ``Label (optional): initial value``, then its choices numbered, the chosen
    ones marked ``*``."""
    element = block.get("element") or {}
    label = text_object(block.get("label"), ansi=ansi)
    said = "optional" in label.lower()
    optional = " (optional)" if block.get("optional") and not said else ""
    if element.get("type") not in CHOICES:
        value = input_initial(element)
        if "\n" not in value:
            return [f"{label}{optional}: {value}"]
        return [f"{label}{optional}:", *(f"  | {line}" for line in value.splitlines())]
    chosen = {o.get("value") for o in initial_options(element)}
    lines = [f"{label}{optional}:"]
    for n, option in enumerate(element.get("options") or [], start=1):
        mark = "*" if option.get("value") in chosen else " "
        lines.append(f"  {mark} {n}) {text_object(option.get('text'), ansi=ansi)}")
    return lines


def input_initial(element: Mapping[str, Any]) -> str:
    """The value an input element starts with, as text ("" when it starts empty)."""
    for key in ("initial_value", "initial_date", "initial_time"):
        if element.get(key) is not None:
            return str(element[key])
    return ""


def initial_options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The options a choice element starts with selected."""
    if isinstance(element.get("initial_option"), Mapping):
        return [element["initial_option"]]
    return [o for o in element.get("initial_options") or [] if isinstance(o, Mapping)]


def _markdown(text: str, ansi: bool) -> str:
    """A ``markdown`` block (standard Markdown, not mrkdwn): its bold and code, then emoji."""
    text = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", lambda m: style(m.group(1), "bold", ansi), text)
    return emojize(text)


def _rich_text(block: Mapping[str, Any]) -> str:
    """The words of a ``rich_text`` block (sections, lists, quotes), without their styles."""
    parts: list[str] = []
    for element in block.get("elements") or []:
        for item in element.get("elements") or []:
            if "text" in item:
                parts.append(str(item["text"]))
            elif item.get("type") == "user":
                parts.append(f"@{item.get('user_id', '')}")
            elif item.get("type") == "emoji":
                parts.append(EMOJI.get(str(item.get("name")), f":{item.get('name')}:"))
            elif item.get("type") == "link":
                parts.append(str(item.get("text") or item.get("url", "")))
            elif "elements" in item:
                parts.append(_rich_text({"elements": [item]}))
    return "".join(parts)


def _cell(cell: Mapping[str, Any]) -> str:
    if cell.get("type") == "raw_text":
        return str(cell.get("text", ""))
    return _rich_text({"elements": [cell]}) if cell.get("type") == "rich_text" else ""

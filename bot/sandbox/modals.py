"""A modal filled in at the terminal: each input asked in turn, its answer in Slack's shape.

A text input is asked with its initial value (Enter keeps it; a multi-line one reads lines up
to one holding only ``.``), a choice by number (several numbers for checkboxes). What was
entered becomes ``view.state.values`` exactly as Slack sends it with a ``view_submission``:
block id → action id → ``{"type": ..., "value" | "selected_option" | "selected_options" |
"selected_date": ...}``. Inputs the terminal cannot fill are left out, as Slack leaves out
inputs it has no value for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.render.terminal import (
    blocks_text,
    initial_options,
    input_initial,
    style,
    text_object,
)

Values = dict[str, dict[str, dict[str, Any]]]
TEXT_INPUTS = ("plain_text_input", "number_input", "email_text_input", "url_text_input")
SINGLE_CHOICE = ("radio_buttons", "static_select")
MULTI_CHOICE = ("checkboxes", "multi_static_select")
END_OF_TEXT = "."


class Terminal(Protocol):
    """Where a modal is shown and answered: lines out, lines in (None once input ends)."""

    def show(self, text: str) -> None: ...

    async def ask(self, prompt: str) -> str | None: ...


class Closed(Exception):
    """The person's input ended while a modal was open: it is closed, nothing submitted."""


def modal_text(view: Mapping[str, Any], *, ansi: bool = False) -> str:
    """A modal as a person reads it: its title, its blocks, its inputs with their values."""
    title = style(text_object(view.get("title"), ansi=ansi) or "Modal", "bold", ansi)
    rule = "─" * 40
    return "\n".join([f"┌ {title}", blocks_text(view.get("blocks") or [], ansi=ansi), rule])


def inputs(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The modal's input blocks, in order."""
    return [b for b in view.get("blocks") or [] if b.get("type") == "input"]


def submit_label(view: Mapping[str, Any]) -> str | None:
    """The text of the modal's submit button, or None for a modal that only shows."""
    submit = view.get("submit")
    return text_object(submit) if isinstance(submit, Mapping) else None


async def fill(
    view: Mapping[str, Any],
    terminal: Terminal,
    *,
    entered: Values | None = None,
    only: Sequence[str] | None = None,
) -> Values:
    """Ask for each input of ``view`` (or only the blocks ``only`` names, starting from what
    was ``entered``); the values to submit. Raises `Closed` when input ends."""
    values: Values = json.loads(json.dumps(entered or {}))
    for block in inputs(view):
        block_id = str(block.get("block_id", ""))
        if only is not None and block_id not in only:
            continue
        element = block.get("element") or {}
        state = await _ask(block, element, values.get(block_id, {}), terminal)
        if state is not None:
            values[block_id] = {str(element.get("action_id", "")): state}
    return values


async def _ask(
    block: Mapping[str, Any],
    element: Mapping[str, Any],
    entered: Mapping[str, dict[str, Any]],
    terminal: Terminal,
) -> dict[str, Any] | None:
    kind = str(element.get("type", ""))
    before = next(iter(entered.values()), None)
    label = text_object(block.get("label"))
    required = not block.get("optional")
    if kind in TEXT_INPUTS or kind == "datepicker":
        return await _text(label, kind, element, before, required, terminal)
    if kind in SINGLE_CHOICE + MULTI_CHOICE:
        return await _choice(label, kind, element, before, required, terminal)
    terminal.show(f"  ({label}: a {kind} input cannot be filled in the sandbox; left empty)")
    return None


async def _text(
    label: str,
    kind: str,
    element: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    required: bool,
    terminal: Terminal,
) -> dict[str, Any]:
    key = "selected_date" if kind == "datepicker" else "value"
    current = str(before.get(key) or "") if before else input_initial(element)
    while True:
        if element.get("multiline"):
            text = await _lines(label, current, terminal)
        else:
            answer = await _answer(terminal, f"  {label} [{current}]: ")
            text = answer if answer else current
        problem = _text_problem(text, element, required)
        if problem is None:
            return {"type": kind, key: text or None}
        terminal.show(f"  ! {problem}")
        current = text


async def _lines(label: str, current: str, terminal: Terminal) -> str:
    """Several lines, ended by a line holding only ``.``; Enter at once keeps ``current``."""
    shown = "\n".join(f"  | {line}" for line in current.splitlines()) or "  | (empty)"
    terminal.show(f"  {label}, now:\n{shown}")
    first = await _answer(
        terminal, "  type the new text, a line with only . to end (Enter keeps it): "
    )
    if not first:
        return current
    lines: list[str] = []
    line = first
    while line.strip() != END_OF_TEXT:
        lines.append(line)
        line = await _answer(terminal, "  ... ")
    return "\n".join(lines)


def _text_problem(text: str, element: Mapping[str, Any], required: bool) -> str | None:
    """What Slack's client would say before letting the modal be submitted, if anything."""
    if required and not text.strip():
        return "this field is required"
    if text and len(text) < int(element.get("min_length") or 0):
        return f"please write at least {element['min_length']} characters"
    if element.get("max_length") and len(text) > int(element["max_length"]):
        return f"please keep it to {element['max_length']} characters"
    return None


async def _choice(
    label: str,
    kind: str,
    element: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    required: bool,
    terminal: Terminal,
) -> dict[str, Any]:
    options = [o for o in element.get("options") or [] if isinstance(o, Mapping)]
    many = kind in MULTI_CHOICE
    chosen = _chosen(before, element)
    numbers = [str(i) for i, o in enumerate(options, 1) if o.get("value") in chosen]
    listing = "\n".join(f"    {i}) {text_object(o.get('text'))}" for i, o in enumerate(options, 1))
    terminal.show(f"  {label}:\n{listing}")
    ask = "numbers (e.g. 1 3), - for none" if many else "a number"
    while True:
        answer = await _answer(terminal, f"  choose {ask} [{' '.join(numbers)}]: ")
        picked = _picked(answer, numbers, len(options), many)
        if picked is None:
            terminal.show(f"  ! please type {ask} from 1 to {len(options)}")
        elif required and not picked:
            terminal.show("  ! this field is required")
        else:
            selected = [dict(options[i - 1]) for i in picked]
            if many:
                return {"type": kind, "selected_options": selected}
            return {"type": kind, "selected_option": selected[0] if selected else None}


def _chosen(before: Mapping[str, Any] | None, element: Mapping[str, Any]) -> set[Any]:
    if before is None:
        return {o.get("value") for o in initial_options(element)}
    options = before.get("selected_options") or [before.get("selected_option") or {}]
    return {o.get("value") for o in options if o}


def _picked(answer: str, kept: list[str], count: int, many: bool) -> list[int] | None:
    """The option numbers typed (Enter keeps ``kept``), or None if they are not valid."""
    if not answer:
        return [int(n) for n in kept]
    if many and answer.strip() in ("-", "none"):
        return []
    words = answer.replace(",", " ").split()
    if not all(w.isdigit() and 1 <= int(w) <= count for w in words) or (
        not many and len(words) != 1
    ):
        return None
    return sorted({int(w) for w in words})


async def _answer(terminal: Terminal, prompt: str) -> str:
    line = await terminal.ask(prompt)
    if line is None:
        raise Closed
    return line.rstrip("\n")


def submission_errors(ack: Mapping[str, Any]) -> dict[str, str]:
    """The errors a ``view_submission`` ack names by block id (``response_action: errors``)."""
    if ack.get("response_action") != "errors" or not isinstance(ack.get("errors"), Mapping):
        return {}
    return {str(k): str(v) for k, v in ack["errors"].items()}


def error_lines(view: Mapping[str, Any], errors: Mapping[str, str]) -> str:
    """Each error under the label of the input it is about."""
    labels = {str(b.get("block_id")): text_object(b.get("label")) for b in inputs(view)}
    return "\n".join(f"  ! {labels.get(k, k)}: {message}" for k, message in errors.items())

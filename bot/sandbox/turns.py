"""When the sandbox chat's turn is over: what the app did after a line that answers it.

A line typed to the bot is answered by a run's answer (a post marked as one, or the progress
message turned into it), by the note in the requester's thread that the run waits for an
approval or by a plan preview waiting for Run (either may wait for days: the chat takes the
next line meanwhile), or by something shown to the person alone with no run in progress.
Pressing Run on a preview is answered the same way, by what the run then shows. Once
answered, the progress message takes its last state; the turn is settled when that edit has
landed too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.reporters.approvals import NOTE_EVENT
from bot.reporters.previews import PREVIEW_EVENT
from bot.reporters.slack import is_answer
from bot.sandbox.screen import SHOWN
from bot.sandbox.slack_api import RecordedCall


def ends_turn(args: Mapping[str, Any]) -> bool:
    """Whether a post or edit with ``args`` is a run's answer, its waiting note or a plan
    preview posted for its requester."""
    if is_answer(args):
        return True
    metadata = args.get("metadata") or {}
    waits = (NOTE_EVENT, PREVIEW_EVENT)
    return isinstance(metadata, Mapping) and metadata.get("event_type") in waits


def answered(calls: Sequence[RecordedCall]) -> bool:
    """Whether the calls made since a line was sent answer it (see the module)."""
    if any(c.method in SHOWN and ends_turn(c.args) for c in calls):
        return True
    progress = any(c.method == "chat.postMessage" for c in calls)
    private = any(c.method in ("chat.postEphemeral", "response_url") for c in calls)
    return private and not progress


def settled(calls: Sequence[RecordedCall]) -> bool:
    """No progress message, or it was edited after the answer was posted, or the run waits
    for an approval (its progress message stays as it is meanwhile)."""
    if not any(c.method == "chat.postMessage" and not ends_turn(c.args) for c in calls):
        return True
    answer = next((i for i, c in enumerate(calls) if c.method in SHOWN and ends_turn(c.args)), None)
    if answer is None or not is_answer(calls[answer].args):
        return True
    if calls[answer].method == "chat.update":  # the progress message became the answer
        return True
    return any(c.method == "chat.update" for c in calls[answer + 1 :])


def home_published(calls: Sequence[RecordedCall]) -> bool:
    return any(c.method == "views.publish" for c in calls)

"""Slack payloads parsed into typed asks at the edge; nothing past here reads raw dicts.

A payload that does not parse yields ``None`` plus a reason, never an exception: Slack sends
shapes we do not act on (edits, bot messages, joins) and those are ignored quietly.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from workflows.models import TriggerKind

# Slack itself takes messages up to 40,000 characters; an objective is a sentence or two, so
# anything past this is refused with a clear answer before it costs a run (and its memory).
MAX_ASK_CHARS = 4_000


class SlackAsk(BaseModel):
    """One request typed in Slack, ready to become an objective.

    ``response_url`` is a slash command's way back to the person who typed it."""

    model_config = ConfigDict(frozen=True)

    text: str
    trigger: TriggerKind
    trigger_id: str
    channel: str
    thread_ts: str | None
    user_id: str
    response_url: str | None = None

    @property
    def too_long(self) -> bool:
        """Whether the text is longer than an objective may be (:data:`MAX_ASK_CHARS`)."""
        return len(self.text) > MAX_ASK_CHARS


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    user: str
    channel: str
    ts: str
    text: str = ""
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None


class _Command(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: str
    channel_id: str
    trigger_id: str
    text: str = ""
    response_url: str | None = None


def event_ask(body: dict[str, Any], trigger: TriggerKind) -> SlackAsk | None:
    """An ask from an ``app_mention`` or a direct message; None for shapes we ignore."""
    try:
        event = _Event.model_validate(body.get("event") or {})
        event_id = str(body["event_id"])
    except (ValidationError, KeyError):
        return None
    if event.subtype or event.bot_id:
        return None
    return SlackAsk(
        text=event.text,
        trigger=trigger,
        trigger_id=event_id,
        channel=event.channel,
        thread_ts=event.thread_ts or event.ts,
        user_id=event.user,
    )


def command_ask(command: dict[str, Any]) -> SlackAsk | None:
    try:
        parsed = _Command.model_validate(command)
    except ValidationError:
        return None
    return SlackAsk(
        text=parsed.text,
        trigger="slack_command",
        trigger_id=parsed.trigger_id,
        channel=parsed.channel_id,
        thread_ts=None,
        user_id=parsed.user_id,
        response_url=parsed.response_url or None,
    )


def reply_user(body: dict[str, Any]) -> str | None:
    """Who sent a payload we could not handle, if it says: an apology is for them alone."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user = (event or {}).get("user") or body.get("user_id")
    return str(user) if isinstance(user, str) and user else None


def reply_channel(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Best guess at where to answer a payload we could not handle: (channel, thread)."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    channel = (event or {}).get("channel") or body.get("channel_id")
    thread = (event or {}).get("thread_ts") or (event or {}).get("ts")
    return (str(channel) if channel else None, str(thread) if thread else None)

"""Slash commands' ``response_url``s, as the Slack stand-in hands them out and serves them.

Slack's contract: a command's ``response_url`` takes a JSON POST ``{response_type:
"ephemeral"|"in_channel", text, blocks, replace_original, delete_original, …}``, up to five
times within 30 minutes. An ephemeral response is shown to the person who typed the command
only; an ``in_channel`` one is posted in the channel as the app, whether or not the bot is a
member. A used-up URL answers HTTP 404 ``used_url``, an expired one ``expired_url``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.slack_workspace import SandboxWorkspace, SlackError

RESPONSE_PATH = "/_sandbox/respond/"
VALID_FOR_S = 30 * 60
MAX_USES = 5


@dataclass
class ResponseUrl:
    """One command's response URL: where it answers, when it was issued, how often used."""

    channel: str
    user: str
    issued_at: float
    uses: int = 0


@dataclass
class ResponseUrls:
    """The response URLs handed out so far, keyed by their secret path segment."""

    workspace: SandboxWorkspace
    clock: Callable[[], float]
    issued: dict[str, ResponseUrl] = field(default_factory=dict)

    def issue(self, channel: str, user: str) -> str:
        """A fresh key for a command typed by ``user`` in ``channel``."""
        key = secrets.token_hex(8)
        self.issued[key] = ResponseUrl(channel, user, self.clock())
        return key

    def respond(self, key: str, body: Any) -> None:
        """Apply one POST to the URL ``key``; ``SlackError`` with Slack's answer if refused."""
        url = self.issued.get(key)
        if url is None:
            raise SlackError("invalid_url")
        if self.clock() - url.issued_at > VALID_FOR_S:
            raise SlackError("expired_url")
        if url.uses >= MAX_USES:
            raise SlackError("used_url")
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            raise SlackError("no_text")
        url.uses += 1
        self._show(url, body)

    def _show(self, url: ResponseUrl, body: dict[str, Any]) -> None:
        text, blocks = str(body.get("text") or ""), body.get("blocks") or None
        if body.get("response_type") == "in_channel":
            self.workspace.post_as_app(url.channel, text, blocks)
            return
        self.workspace.ephemerals.append(
            {"channel": url.channel, "user": url.user, "text": text, "blocks": blocks,
             "ts": None, "thread_ts": None, "via": "response_url"}
        )  # fmt: skip

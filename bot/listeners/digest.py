"""The digest's "Full briefing" button: a click starts a briefing for the clicker.

The button's value is the customer's account id, and nothing else in the payload is
trusted but who clicked and where. The account is looked up in the live directory at click
time; the click then becomes the ask a typed "brief me on <customer>" would be (the
customer's name, or its domain when the name alone would not single it out), recorded in the
inbox before the ack (like every ask, see :mod:`bot.inbox`) and handed to the same intake and
engine: the clicker's identity and access are checked there, and the briefing goes to the
digest's thread. The run id comes from the click's ``trigger_id``, so a click delivered twice
starts one briefing. An account that is gone is told to the clicker alone.
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import SlackAsk
from bot.inbox import DELIVERY, RecordFirst, handle_recorded
from bot.intake import intake_of
from bot.listeners.actions import tell_clicker
from bot.render.digest import FULL_BRIEFING
from connectors.identity import IdentityDirectory
from workflows.domain import AccountRef

log = structlog.get_logger(__name__)
GONE = "I can't find that customer any more, so I can't brief you on it. Try typing its name."


class BriefingClick(BaseModel):
    """What a "Full briefing" click says: who, where, which account, and its trigger."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    channel: str
    message_ts: str | None
    thread_ts: str | None
    account_id: str
    trigger_id: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> BriefingClick | None:
        """The click in a ``block_actions`` payload; None for any other shape."""
        actions = body.get("actions") or [{}]
        action = actions[0] if isinstance(actions[0], dict) else {}
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        trigger = body.get("trigger_id") or action.get("action_ts")
        if not trigger:
            return None
        try:
            return cls(
                user_id=(body.get("user") or {}).get("id"),
                channel=channel,
                message_ts=container.get("message_ts") or message.get("ts"),
                thread_ts=message.get("thread_ts") or container.get("thread_ts"),
                account_id=str(action.get("value") or "").strip(),
                trigger_id=f"click-{trigger}",
            )
        except ValidationError:
            return None

    def ask(self, directory: IdentityDirectory) -> SlackAsk | None:
        """The ask this click makes, or None when the account is not (any more) known."""
        account = directory.account(self.account_id) if self.account_id else None
        if account is None:
            return None
        return SlackAsk(
            text=f"brief me on {_named(account, directory)}",
            trigger="slack_dm" if self.channel.startswith("D") else "slack_mention",
            trigger_id=self.trigger_id,
            channel=self.channel,
            thread_ts=self.thread_ts or self.message_ts,
            user_id=self.user_id,
        )


def _named(account: AccountRef, directory: IdentityDirectory) -> str:
    """The account's name when it finds that account alone, else its domain (exact)."""
    found = {m.account.account_id for m in directory.find_in(account.name)}
    return account.name if found == {account.account_id} else account.domain


class RecordClick(RecordFirst):
    """Listener middleware: the click's ask is in the inbox before Bolt acks, as a typed
    ask's is; the account is looked up here, where the directory is at hand, and an unknown
    one records nothing."""

    def __init__(self) -> None:
        super().__init__(lambda body: None)

    def asked(self, req: AsyncBoltRequest) -> SlackAsk | None:
        click = BriefingClick.parse(req.body)
        return click.ask(intake_of(req.context).people.directory) if click else None


async def on_full_briefing(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    if context.get(DELIVERY) is None:
        await tell_clicker(body, client, GONE)
        return
    await handle_recorded(context)


def register(app: AsyncApp) -> None:
    app.action(FULL_BRIEFING, middleware=[RecordClick()])(on_full_briefing)

"""Where a message for the person who asked goes in Slack, and getting it there.

- **Public**: an answer to a request made in the open (a briefing) is posted where it was
  asked: in the mention's thread, in the DM, in the channel of a slash command. A command
  typed in a channel the bot is not a member of is answered through the command's
  ``response_url`` instead, shown to that person only, with how to invite the bot.
- **Private**: what concerns only the person who asked (a refusal, help, "which customer?",
  an error) is shown to them alone: ``chat.postEphemeral`` in a channel (in the thread), a
  plain post in a DM (nobody else is there), the ``response_url`` (ephemeral) for a command.
- A ``response_url`` lasts 30 minutes and five posts; once Slack refuses it, the answer goes
  to the person's DM with the bot instead.
- A post made from a durable step that may be a repeat (a retry, a recovered run) is looked
  for first, by its metadata, and not made twice (:mod:`bot.reporters.posted`). Ephemeral
  messages and ``response_url`` answers cannot be looked for: Slack keeps neither, and a
  repeat of one shows again.

Every Slack failure leaves here as a classified :class:`~workflows.errors.DeliveryError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.render import kit
from bot.reporters.posted import find_posted
from bot.slack_errors import NOT_A_MEMBER, delivery_error, http_error
from workflows.engine.repeats import may_have_happened
from workflows.errors import PermanentDeliveryError
from workflows.models import Objective, ReplyTarget

INVITE_HINT = (
    "Only you can see this: I am not a member of this channel, so I cannot post here. "
    "To share answers with the channel, invite me with `/invite @crosswire`."
)


@dataclass(frozen=True)
class Message:
    """What to show: the fallback text, the blocks, and metadata for a public post."""

    text: str
    blocks: list[Block]
    metadata: Mapping[str, Any] | None = None

    def with_hint(self, hint: str) -> Message:
        note = ContextBlock(elements=[MarkdownTextObject(text=hint)])
        return replace(self, blocks=[*self.blocks, note])


@dataclass(frozen=True)
class SlackReplies:
    """Posts for one Slack workspace through ``client`` (and its HTTP session, when shared)."""

    client: AsyncWebClient

    async def publish(
        self, objective: Objective, message: Message, *, thread_ts: str | None
    ) -> str | None:
        """Post where the request was made; the message ts, or None if only the asker saw it."""
        reply = objective.reply
        try:
            return await self.post(reply, message, thread_ts=thread_ts, since=objective.received_at)
        except PermanentDeliveryError as exc:
            if exc.code not in NOT_A_MEMBER or reply.response_url is None:
                raise
            await self._respond_or_dm(reply, reply.response_url, message.with_hint(INVITE_HINT))
            return None

    async def tell(self, objective: Objective, message: Message) -> None:
        """Show ``message`` to the person who asked, and to nobody else."""
        reply = objective.reply
        if objective.trigger == "slack_command" and reply.response_url:
            await self._respond_or_dm(reply, reply.response_url, message)
        elif objective.trigger == "slack_dm" or not reply.user_id:
            await self.post(reply, message, thread_ts=reply.thread_ts, since=objective.received_at)
        else:
            await self.call(
                self.client.chat_postEphemeral(
                    channel=reply.channel,
                    user=reply.user_id,
                    thread_ts=reply.thread_ts,
                    text=message.text,
                    blocks=_dicts(message.blocks),
                )
            )

    async def post(
        self,
        reply: ReplyTarget,
        message: Message,
        *,
        thread_ts: str | None,
        since: datetime | None = None,
    ) -> str:
        """Post in the reply's channel for everyone there; the message's ts.

        With ``since`` (when the run was received), a message with the same metadata that
        this step may already have posted is looked for and reused (see the module)."""
        if since is not None and message.metadata and await may_have_happened():
            found = await find_posted(
                self.client,
                reply.channel,
                thread_ts=thread_ts,
                metadata=message.metadata,
                since=since,
            )
            if found is not None:
                return found
        response = await self.call(
            self.client.chat_postMessage(
                channel=reply.channel,
                thread_ts=thread_ts,
                text=message.text,
                blocks=_dicts(message.blocks),
                unfurl_links=False,
                metadata=dict(message.metadata) if message.metadata else None,
            )
        )
        return str(response["ts"])

    async def respond(self, response_url: str, message: Message) -> None:
        """Answer a slash command through its ``response_url``, to the person who typed it."""
        webhook = AsyncWebhookClient(
            url=response_url, session=self.client.session, timeout=self.client.timeout
        )
        body = {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": message.text,
            "blocks": _dicts(message.blocks),
        }
        try:
            response = await webhook.send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise delivery_error(exc) from exc
        if response.status_code != 200:
            raise http_error(response.status_code, str(response.body or ""))

    async def _respond_or_dm(self, reply: ReplyTarget, response_url: str, message: Message) -> None:
        """Through the command's response URL; if Slack refuses it (used up, expired), as a DM."""
        try:
            await self.respond(response_url, message)
        except PermanentDeliveryError:
            if not reply.user_id:
                raise
            # Posting to a user id lands in their DM with the app (its Messages tab).
            dm = ReplyTarget(kind="slack", channel=reply.user_id, user_id=reply.user_id)
            await self.post(dm, message, thread_ts=None)

    async def call(self, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        """Await a Web API call, with its failure classified (see :mod:`bot.slack_errors`)."""
        try:
            return await call
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise delivery_error(exc) from exc


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return kit.fit(blocks)  # within Slack's block count and total text

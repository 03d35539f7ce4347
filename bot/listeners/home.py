"""The App Home tab: what Crosswire does and how to ask, and, where approvals are set up,
what waits for the person's decision and what they asked for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.actions import Approvals
from bot.render import kit
from workflows.planning.offline import EXAMPLES, HELP_TEXT


def home_view(approvals: Sequence[Block] = ()) -> View:
    """The tab; ``approvals`` (what waits for the person, what they asked for) goes first."""
    examples = "\n".join(f"• `{e}`" for e in EXAMPLES)
    first = [*approvals, DividerBlock()] if approvals else []
    return View(
        type="home",
        blocks=kit.surface(
            [
                *first,
                HeaderBlock(text="Crosswire"),
                SectionBlock(text=MarkdownTextObject(text=HELP_TEXT)),
                SectionBlock(text=MarkdownTextObject(text=f"*Try*\n{examples}")),
                ContextBlock(
                    elements=[
                        MarkdownTextObject(
                            text="Mention me in a channel, send me a DM, or use `/crosswire`. "
                            "Answers arrive in the thread, every fact with its source."
                        )
                    ]
                ),
            ]
        ),
    )


async def on_home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    user = str(event["user"])
    approvals = context.get("approvals")
    listed: Sequence[Block] = ()
    if isinstance(approvals, Approvals):
        who = await approvals.who(user)  # someone not in the directory sees the tab without
        if not isinstance(who, str):
            listed = (await approvals.listing(who.email)).blocks
    await client.views_publish(user_id=user, view=home_view(listed))


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)

"""The App Home tab: what Crosswire does and how to ask."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from workflows.planning.offline import EXAMPLES, HELP_TEXT


def home_view() -> View:
    examples = "\n".join(f"• `{e}`" for e in EXAMPLES)
    return View(
        type="home",
        blocks=[
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
        ],
    )


async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    await client.views_publish(user_id=str(event["user"]), view=home_view())


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)

"""Thin listeners, one module per Slack surface, each with ``register(app)``.

A listener that starts runs is acknowledged as soon as its ask is durable: its listener
middleware (:func:`bot.inbox.record_first`) parses the payload and records the ask in the
inbox before Bolt acks; the listener then hands it to the :class:`~bot.inbox.AskInbox` found
in Bolt's context, which passes it to the intake.
"""

from slack_bolt.async_app import AsyncApp

from bot.listeners import (
    actions,
    clarify,
    commands,
    digest,
    home,
    mentions,
    messages,
    previews,
    schedules,
)

# What the listeners handle, and the scopes that needs; manifest.yml must say the same.
BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")
COMMANDS = ("/crosswire",)
BOT_SCOPES = (
    "app_mentions:read",  # app_mention
    # Reading back a thread or channel before posting again (a step repeated after a crash):
    "channels:history",  # public channels
    "chat:write",  # progress messages, answers and the thread status (setStatus)
    "commands",  # /crosswire
    "groups:history",  # private channels
    "im:history",  # message.im, and DMs read back
    "mpim:history",  # group DMs
    "users:read",  # users.info
    "users:read.email",  # the requester's email (and an approver's), to find them
    "im:write",  # conversations.open: an approval in each approver's DM
)


def register_all(app: AsyncApp) -> None:
    for surface in (mentions, messages, commands, home, actions):
        surface.register(app)
    digest.register(app)
    previews.register(app)
    clarify.register(app)
    schedules.register(app)


__all__ = ["BOT_EVENTS", "BOT_SCOPES", "COMMANDS", "register_all"]

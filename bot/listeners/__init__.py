"""Thin listeners, one module per Slack surface, each with ``register(app)``.

A listener parses its payload, acknowledges at once (Bolt acks events itself before the
listener runs), and hands off to the :class:`~bot.intake.Intake` found in Bolt's context.
"""

from slack_bolt.async_app import AsyncApp

from bot.listeners import commands, home, mentions, messages


def register_all(app: AsyncApp) -> None:
    for surface in (mentions, messages, commands, home):
        surface.register(app)


__all__ = ["register_all"]

"""Where runs show themselves: a Slack thread or a terminal."""

from bot.reporters.slack import SlackReporter
from bot.reporters.terminal import TerminalReporter

__all__ = ["SlackReporter", "TerminalReporter"]

"""Answers and progress, rendered for Slack (Block Kit) and for a terminal."""

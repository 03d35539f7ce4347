"""The Slack edge, the CLI and the composition root."""

"""Local stand-ins for Slack that ship with the bot.

`slack_api` is a local Slack Web API server, `signing` signs inbound requests the way Slack does,
and `payloads` builds inbound bodies in the shapes Slack sends. Tests, the local sandbox mode and
the benchmarks use them so that nothing needs a real workspace.
"""

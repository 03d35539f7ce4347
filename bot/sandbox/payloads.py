"""Builders of inbound Slack request bodies, in the shapes Slack really sends.

Each builder returns a `Payload`, a `(body, content_type)` named tuple ready to be signed with
`bot.sandbox.signing.signed_headers` and sent as-is: sign exactly `body.encode()`. Events API
callbacks are JSON; slash commands are form-encoded fields; interactivity is form-encoded
`payload=<url-quoted JSON>`. The shapes follow Slack's own payloads (as recorded in
slackapi/bolt-python's scenario tests), extra fields included, so the bot is tested against what
Slack sends rather than against what it reads. Ids and timestamps are parameters; when left out,
fresh ones are generated from the wall clock and random ids.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

SANDBOX_TEAM_ID = "T0SANDBOX"
SANDBOX_TEAM_DOMAIN = "crosswire-sandbox"
SANDBOX_APP_ID = "A0CROSSWIRE"
SANDBOX_BOT_USER_ID = "U0CROSSWIRE"
SANDBOX_BOT_ID = "B0CROSSWIRE"
VERIFICATION_TOKEN = "sandbox_verification_token"
# Slack's shape on a closed local port: a bot under test that answers a command built without
# a URL from `SlackWebApiStandIn.response_url` fails fast instead of reaching Slack.
DEFAULT_RESPONSE_URL = "http://127.0.0.1:9/commands/T0SANDBOX/1/sandbox"
DEFAULT_ACTION_RESPONSE_URL = "https://hooks.slack.com/actions/T0SANDBOX/1/sandbox"

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class Payload(NamedTuple):
    """An inbound request body and the Content-Type it is sent with."""

    body: str
    content_type: str


def new_ts() -> str:
    """A Slack message timestamp (`"1700000000.000100"` form) for the current time."""
    return f"{time.time():.6f}"


def new_event_id() -> str:
    """A fresh Events API event id (`Ev` followed by upper-case alphanumerics)."""
    return "Ev" + uuid.uuid4().hex[:10].upper()


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's `digits.digits.hex` form."""
    return f"{int(time.time() * 1000)}.1.{uuid.uuid4().hex[:16]}"


def app_mention(
    text: str,
    *,
    user: str,
    channel: str,
    ts: str | None = None,
    event_id: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
    thread_ts: str | None = None,
    bot_user_id: str = SANDBOX_BOT_USER_ID,
) -> Payload:
    """An `app_mention` event callback. `text` gets a leading `<@bot_user_id>` unless it has one."""
    mention = f"<@{bot_user_id}>"
    full_text = text if mention in text else f"{mention} {text}"
    event = _user_message(
        "app_mention", full_text, user, channel, ts, thread_ts, team_id, bot_user_id
    )
    return _event_callback(event, event_id=event_id, team_id=team_id, bot_user_id=bot_user_id)


def direct_message(
    text: str,
    *,
    user: str,
    channel: str,
    ts: str | None = None,
    event_id: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
    thread_ts: str | None = None,
    bot_user_id: str = SANDBOX_BOT_USER_ID,
) -> Payload:
    """A `message` event in a DM with the bot (`channel_type` `"im"`, channel usually `D...`)."""
    event = _user_message("message", text, user, channel, ts, thread_ts, team_id, bot_user_id)
    event["channel_type"] = "im"
    return _event_callback(event, event_id=event_id, team_id=team_id, bot_user_id=bot_user_id)


def _user_message(
    kind: str,
    text: str,
    user: str,
    channel: str,
    ts: str | None,
    thread_ts: str | None,
    team_id: str,
    bot_user_id: str,
) -> dict[str, Any]:
    """A person's message event (mention or DM) with the rich-text blocks Slack attaches."""
    event = _message_like(kind, text, user=user, channel=channel, ts=ts or new_ts(), team=team_id)
    event["blocks"] = _rich_text(text, bot_user_id)
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def app_home_opened(
    user: str,
    event_id: str | None = None,
    *,
    channel: str | None = None,
    tab: str = "home",
    event_ts: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
    bot_user_id: str = SANDBOX_BOT_USER_ID,
) -> Payload:
    """An `app_home_opened` event for `user` (the DM channel defaults to `D` + user id)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or f"D{user.lstrip('UW')}",
        "tab": tab,
        "event_ts": event_ts or new_ts(),
    }
    return _event_callback(event, event_id=event_id, team_id=team_id, bot_user_id=bot_user_id)


def url_verification(challenge: str, *, token: str = VERIFICATION_TOKEN) -> Payload:
    """The `url_verification` handshake Slack sends when the request URL is configured."""
    body = {"token": token, "challenge": challenge, "type": "url_verification"}
    return Payload(json.dumps(body), JSON)


def slash_command(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    command: str = "/crosswire",
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
    user_name: str = "sandbox-user",
    channel_name: str = "sandbox",
) -> Payload:
    """A slash command invocation: form-encoded fields in the order Slack sends them.

    Pass `response_url=standin.response_url(channel_id, user_id)` for a URL the Slack
    stand-in serves and records (the default leads nowhere)."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": SANDBOX_TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": SANDBOX_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return Payload(urlencode(fields), FORM)


def block_action(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str = DEFAULT_ACTION_RESPONSE_URL,
    block_id: str = "actions",
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
    action_ts: str | None = None,
    trigger_id: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
    bot_user_id: str = SANDBOX_BOT_USER_ID,
    label: str | None = None,
    user_name: str = "sandbox-user",
    ephemeral: bool = False,
) -> Payload:
    """A `block_actions` interaction: a button click on a bot message, form-encoded `payload=`.

    `label` is the button's text (default: its value); `user_name` the clicker's handle. A
    click on a message shown to the clicker only (`ephemeral`) carries no `message`, as in
    Slack."""
    button = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": value if label is None else label, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": action_ts or new_ts(),
    }
    message = {
        "bot_id": SANDBOX_BOT_ID,
        "type": "message",
        "text": message_text,
        "user": bot_user_id,
        "ts": message_ts,
        "app_id": SANDBOX_APP_ID,
        "blocks": message_blocks if message_blocks is not None else [],
        "team": team_id,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": SANDBOX_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": SANDBOX_TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "sandbox"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [button],
    }
    if ephemeral:
        del payload["message"]
    return _interaction(payload)


def home_block_action(
    action_id: str,
    value: str,
    *,
    user_id: str,
    view: dict[str, Any],
    block_id: str = "actions",
    label: str | None = None,
    user_name: str = "sandbox-user",
    trigger_id: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
) -> Payload:
    """A `block_actions` interaction from a button on the Home tab `view` (as published, with
    its `id`): a `view` container and the view, no message, channel or response URL."""
    button = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": value if label is None else label, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": new_ts(),
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": SANDBOX_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": SANDBOX_TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": _as_sent(view, team_id, {}),
        "actions": [button],
    }
    return _interaction(payload)


def view_submission(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str,
    user_name: str = "sandbox-user",
    trigger_id: str | None = None,
    team_id: str = SANDBOX_TEAM_ID,
) -> Payload:
    """A `view_submission`: the modal `view` (as opened, with its `id` when it has one) and
    what was entered, `values` in Slack's `view.state.values` shape (block id → action id →
    `{"type": ..., "value" | "selected_option" | "selected_options": ...}`)."""
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": SANDBOX_TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": SANDBOX_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": _as_sent(view, team_id, values),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interaction(payload)


def view_closed(
    view: dict[str, Any],
    *,
    user_id: str,
    user_name: str = "sandbox-user",
    team_id: str = SANDBOX_TEAM_ID,
) -> Payload:
    """A `view_closed`: the person closed the modal `view` (sent only for a view opened with
    `notify_on_close`)."""
    payload = {
        "type": "view_closed",
        "team": {"id": team_id, "domain": SANDBOX_TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": SANDBOX_APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": _as_sent(view, team_id, {}),
        "is_cleared": False,
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interaction(payload)


def _as_sent(view: dict[str, Any], team_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A view as Slack sends it back: every field it fills in, and the state of its inputs."""
    view_id = str(view.get("id") or "V" + uuid.uuid4().hex[:10].upper())
    defaults: dict[str, Any] = {
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "title": {"type": "plain_text", "text": ""},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": SANDBOX_APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": SANDBOX_BOT_ID,
    }
    return {**defaults, **view, "id": view_id, "state": {"values": values}}


def _interaction(payload: dict[str, Any]) -> Payload:
    """An interactivity request body: form-encoded `payload=<url-quoted JSON>`."""
    return Payload("payload=" + quote(json.dumps(payload), safe=""), FORM)


def _message_like(
    kind: str, text: str, *, user: str, channel: str, ts: str, team: str
) -> dict[str, Any]:
    return {
        "client_msg_id": str(uuid.uuid4()),
        "type": kind,
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "channel": channel,
        "event_ts": ts,
    }


def _rich_text(text: str, bot_user_id: str) -> list[dict[str, Any]]:
    """The `rich_text` block Slack attaches to typed messages, with the bot mention as a user."""
    mention = f"<@{bot_user_id}>"
    elements: list[dict[str, Any]] = []
    for i, part in enumerate(text.split(mention)):
        if i > 0:
            elements.append({"type": "user", "user_id": bot_user_id})
        if part:
            elements.append({"type": "text", "text": part})
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:4], "elements": [section]}]


def _event_callback(
    event: dict[str, Any], *, event_id: str | None, team_id: str, bot_user_id: str
) -> Payload:
    event_ts = str(event.get("event_ts") or new_ts())
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": SANDBOX_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(float(event_ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex[:12]}",
    }
    return Payload(json.dumps(body), JSON)

"""Finding a message Crosswire may already have posted, before posting it again.

Every message a run posts carries message metadata: its kind as the event type
(``crosswire_progress``, ``crosswire_answer``) and the run id in the payload. When a post may
already have happened (a retried or replayed step, see :mod:`workflows.engine.repeats`),
the place it would be is read back (``conversations.replies`` for a thread,
``conversations.history`` for a channel, with ``include_all_metadata``, from shortly before
the run was received) and the message found is reused instead of posting a second copy.

Only what Slack keeps can be found: ephemeral messages and ``response_url`` answers are not
in any history, and a post addressed to a user id (a DM opened by posting) names no
conversation to read, so those are posted as they are. Where the read itself is refused
(the history scopes not granted to an old install, a channel the bot has left), the post goes
ahead: a second copy is better than no answer. A read Slack could not answer is transient, so
the step is retried.

Metadata is visible to every member and app of the workspace: it holds the run id only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack_errors import delivery_error
from workflows.errors import PermanentDeliveryError

log = structlog.get_logger(__name__)

# Slack stamps messages with its clock; ours may be a little ahead of it.
LOOKBACK_S = 60.0
PAGE_SIZE = 200
MAX_PAGES = 10


Mark = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


async def find_posted(
    client: AsyncWebClient,
    channel: str,
    *,
    thread_ts: str | None,
    metadata: Mapping[str, Any],
    since: datetime,
    matches: Mark | None = None,
) -> str | None:
    """The ts of a message in ``channel`` (in ``thread_ts``'s thread, when given) posted since
    about ``since`` that ``matches`` ``metadata`` (by default: its event type and run id); None
    if there is none, or if Slack refuses the read (a second copy beats none)."""
    oldest = f"{since.timestamp() - LOOKBACK_S:.6f}"
    try:
        return await _search(client, channel, thread_ts, metadata, oldest, matches or same_mark)
    except PermanentDeliveryError as exc:
        log.warning("slack.lookup_refused", channel=channel, error=str(exc))
        return None


async def _search(
    client: AsyncWebClient,
    channel: str,
    thread_ts: str | None,
    metadata: Mapping[str, Any],
    oldest: str,
    matches: Mark,
) -> str | None:
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await _page(client, channel, thread_ts, oldest, cursor)
        found = next((m for m in page["messages"] if matches(m, metadata)), None)
        if found is not None:
            return str(found["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or cursor is None:
            return None
    return None


async def _page(
    client: AsyncWebClient, channel: str, thread_ts: str | None, oldest: str, cursor: str | None
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "channel": channel,
        "oldest": oldest,
        "include_all_metadata": True,
        "limit": PAGE_SIZE,
        "cursor": cursor,
    }
    try:
        response: AsyncSlackResponse = await (
            client.conversations_replies(ts=thread_ts, **common)
            if thread_ts is not None
            else client.conversations_history(**common)
        )
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        raise delivery_error(exc) from exc
    data = response.data
    return {"messages": [], **data} if isinstance(data, dict) else {"messages": []}


def same_mark(message: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Whether a message from Slack carries ``metadata``'s event type and run id."""
    found = message.get("metadata")
    if not isinstance(found, Mapping) or found.get("event_type") != metadata.get("event_type"):
        return False
    payload, wanted = found.get("event_payload"), metadata.get("event_payload")
    if not isinstance(payload, Mapping) or not isinstance(wanted, Mapping):
        return False
    return payload.get("run_id") is not None and payload.get("run_id") == wanted.get("run_id")

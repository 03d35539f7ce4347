"""Slack's native thread status while a run works ("is planning…", "is reading the CRM…").

Set through Bolt's ``set_status`` (:class:`slack_bolt.context.set_status.async_set_status.
AsyncSetStatus`, which calls ``assistant.threads.setStatus``): the mention listener is given
one by Bolt and says "is planning…" as the ask is handed on; the run's reporter builds one for
the same thread and says which systems it is reading, then clears it (an
empty status) once the answer is posted. Status is best effort: a failure is logged and
dropped, never the run's.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
import structlog
from slack_bolt.context.set_status.async_set_status import AsyncSetStatus
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from workflows.models import ReplyTarget
from workflows.ports import Progress

log = structlog.get_logger(__name__)
PLANNING = "is planning…"
WORKING = "is putting it together…"
CLEAR = ""


def reading(labels: Sequence[str]) -> str:
    """``is reading the CRM…``, ``is reading the CRM and Mailbox…``, ``… and 2 more…``."""
    if len(labels) == 1:
        return f"is reading the {labels[0]}…"
    if len(labels) <= 3:
        return f"is reading the {', '.join(labels[:-1])} and {labels[-1]}…"
    return f"is reading the {', '.join(labels[:2])} and {len(labels) - 2} more…"


def status_of(progress: Progress) -> str:
    """What the thread says while the run stands at ``progress``: the systems it reads while
    any is unanswered, then that it is putting the answer together. It changes with the phase,
    not with each system that answers: every change is a Web API call, and the progress
    message already counts the systems."""
    if any(s.state in ("waiting", "running") for s in progress.systems):
        return reading([s.label for s in progress.systems])
    return WORKING


async def say_status(set_status: AsyncSetStatus, status: str) -> bool:
    """Set the thread's status (``""`` clears it); False, logged, when Slack would not."""
    try:
        await set_status(status)
    except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("slack.status_failed", status=status, error=str(exc))
        return False
    return True


def thread_status(client: AsyncWebClient, reply: ReplyTarget) -> AsyncSetStatus | None:
    """Bolt's ``set_status`` for the thread a run answers in; None when it has none."""
    if reply.kind != "slack" or not reply.channel or not reply.thread_ts:
        return None
    return AsyncSetStatus(client=client, channel_id=reply.channel, thread_ts=reply.thread_ts)

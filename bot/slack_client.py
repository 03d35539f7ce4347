"""The one way to build a Slack Web API client: rate limits honoured, connection errors
retried, the base URL overridable (``SLACK_API_URL``, the sandbox, tests), and one HTTP
session (one pool of keep-alive connections) for every call a process makes.

Without a session of its own, slack_sdk opens a new aiohttp session, and so a new TCP (and
TLS) connection, for every call: about twice the CPU per call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

SLACK_API_DEFAULT = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 3
CALL_TIMEOUT_S = 30


def web_client(
    token: str, base_url: str | None = None, *, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A client for ``token``; with ``session``, every call goes through that session."""
    return AsyncWebClient(
        token=token,
        base_url=base_url or SLACK_API_DEFAULT,
        session=session,
        timeout=CALL_TIMEOUT_S,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


@asynccontextmanager
async def shared_web_client(
    token: str, base_url: str | None = None
) -> AsyncIterator[AsyncWebClient]:
    """A client whose calls share one aiohttp session, closed when the block ends."""
    timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield web_client(token, base_url, session=session)

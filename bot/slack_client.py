"""The one way to build a Slack Web API client: rate limits honoured, connection errors
retried, and the base URL overridable (``SLACK_API_URL``, the sandbox, tests)."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

SLACK_API_DEFAULT = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 3


def web_client(token: str, base_url: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url or SLACK_API_DEFAULT,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )

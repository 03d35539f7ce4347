"""Slack's failures, classified once: worth another attempt, or refused for good.

Slack answers most errors as HTTP 200 ``{"ok": false, "error": code}``; those are permanent
unless the code says Slack itself failed. HTTP 5xx of any body (an HTML error page included),
429s left over after the client's own rate-limit retries, timeouts and connection errors are
transient. Everything that talks to Slack maps its exceptions through :func:`delivery_error`,
so a retry loop only ever reads ``retryable``.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from slack_sdk.errors import SlackApiError

from workflows.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

# Slack's own documented "try again" codes; any other ``ok: false`` will be refused again.
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# The bot cannot post where it is not a member: a public channel says so, a private one hides.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})

SlackFailure = SlackApiError | aiohttp.ClientError | TimeoutError


def delivery_error(exc: SlackFailure) -> DeliveryError:
    """The :class:`DeliveryError` that ``exc`` (raised by a Web API call) amounts to."""
    if isinstance(exc, SlackApiError):
        return _api_error(exc)
    if isinstance(exc, TimeoutError):
        return TransientDeliveryError("Slack did not answer in time", code="timeout")
    return TransientDeliveryError(f"Slack could not be reached ({type(exc).__name__})")


def http_error(status: int, body: str) -> DeliveryError:
    """The error of an HTTP answer that is not a success (a ``response_url`` POST)."""
    code = body.strip()[:60] if body.strip().isidentifier() else None
    if status >= 500 or status == 429:
        return TransientDeliveryError(f"Slack answered HTTP {status}", code=code)
    return PermanentDeliveryError(f"Slack refused: HTTP {status} ({code})", code=code)


def _api_error(exc: SlackApiError) -> DeliveryError:
    status, code = _status_and_code(exc.response)
    if status is not None and (status >= 500 or status == 429):
        return TransientDeliveryError(f"Slack answered HTTP {status}", code=code)
    if code is None:
        # An answer that is neither a success nor one of Slack's errors: a proxy or a blip.
        return TransientDeliveryError(f"Slack answered unreadably (HTTP {status})")
    if code in TRANSIENT_CODES:
        return TransientDeliveryError(f"Slack failed on its side ({code})", code=code)
    return PermanentDeliveryError(f"Slack refused: {code}", code=code)


def _status_and_code(response: object) -> tuple[int | None, str | None]:
    """HTTP status and Slack error code of whatever slack_sdk attached to its error.

    That is an ``AsyncSlackResponse`` whose data may be a dict, a string or empty, or, for a
    body that claims to be JSON and is not, aiohttp's own response object."""
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, Mapping) else None
    return (
        int(status) if isinstance(status, int) else None,
        str(code) if code else None,
    )

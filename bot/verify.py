"""Is this request from Slack? Nothing acts on a request before this says yes.

Slack signs every HTTP request: ``X-Slack-Request-Timestamp`` (Unix seconds) and
``X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">``. The HMAC and its
constant-time comparison are slack_sdk's :class:`SignatureVerifier`; what this module adds is
that a malformed header is a refusal with a reason instead of an exception (the verifier calls
``int()`` on the timestamp), and :class:`VerifiedOnly`, the Bolt middleware that enforces it
before Bolt's authorization (``auth.test``) or any listener runs, and marks the request's
context as verified so that the error handler knows whose data it is looking at.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

from workflows.sanitise import scrubbed

log = structlog.get_logger(__name__)

VERIFIED = "crosswire_verified"
"""Context key set to True once a request is known to come from Slack (or Socket Mode)."""

MAX_CLOCK_SKEW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# What a body must contain to possibly hold a NUL or a lone surrogate once parsed.
_MAYBE_UNSTORABLE = re.compile(r"\\u0000|%00|\x00|\\u[dD][89a-fA-F]")


class _CallableClock(Clock):
    """slack_sdk's clock interface over an injected ``now`` (Unix seconds)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class RequestVerifier:
    """Says why a request cannot be verified, or ``None`` when Slack signed it."""

    def __init__(self, signing_secret: str, *, now: Callable[[], float] = time.time) -> None:
        self.signing_secret = signing_secret
        self._now = now
        # slack_sdk refuses an empty secret; Socket Mode runs without one and never asks.
        self._verifier = (
            SignatureVerifier(signing_secret, _CallableClock(now)) if signing_secret else None
        )

    def refusal(self, body: str, timestamp: str | None, signature: str | None) -> str | None:
        """The reason ``body`` with these headers is not Slack's, or ``None``."""
        if self._verifier is None:
            return "no signing secret is configured"
        if not timestamp:
            return "no timestamp"
        if not _TIMESTAMP.fullmatch(timestamp):
            return "timestamp is not a whole number of seconds"
        if abs(self._now() - int(timestamp)) > MAX_CLOCK_SKEW_S:
            return "timestamp is more than 5 minutes off"
        if not signature:
            return "no signature"
        if not _SIGNATURE.fullmatch(signature):
            return "signature is not v0= and hex"
        if not self._verifier.is_valid(body, timestamp, signature):
            return "signature does not match"
        return None

    def headers_refusal(self, body: str, headers: Mapping[str, Sequence[str]]) -> str | None:
        """:meth:`refusal` for Bolt's normalised (lower-case, list-valued) headers."""
        return self.refusal(
            body, _first(headers, "x-slack-request-timestamp"), _first(headers, "x-slack-signature")
        )


def _first(headers: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def refused() -> BoltResponse:
    """What an unverifiable request gets: 401 and nothing else."""
    return BoltResponse(status=401, body={"error": "invalid request"})


class VerifiedOnly(AsyncMiddleware):
    """Bolt middleware, installed as ``before_authorize``: only verified requests go on.

    HTTP requests must carry a valid signature; Socket Mode requests arrive over a WebSocket
    that Slack opened with the app-level token, so the connection is the proof. A request
    the HTTP endpoint's screening verified (:mod:`bot.screening`) comes with its context
    already marked, set by our code before Bolt saw the request (nothing in a payload can
    set it), and is not checked twice. A verified request's text is made storable here (see
    :mod:`workflows.sanitise`), once, at the edge.
    """

    def __init__(self, verifier: RequestVerifier) -> None:
        self.verifier = verifier

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        if req.mode != "socket_mode" and not is_verified(req.context):
            reason = self.verifier.headers_refusal(req.raw_body, req.headers)
            if reason is not None:
                log.warning("slack.request_refused", status=401, reason=reason)
                return refused()
        req.context[VERIFIED] = True
        if req.mode == "socket_mode" or _MAYBE_UNSTORABLE.search(req.raw_body):
            req.body = scrubbed(req.body)
        return await next()


def is_verified(context: Mapping[str, object]) -> bool:
    """Whether :class:`VerifiedOnly` let this request through."""
    return context.get(VERIFIED) is True

"""Signing of inbound requests, exactly as Slack signs them.

Slack sends `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">` keyed with
the app's signing secret, and `X-Slack-Request-Timestamp`. Bolt rejects a timestamp more than
300 s away from its clock and answers 401 to a bad signature, so sign exactly the bytes you send
and, by default, with the current time.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The `X-Slack-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(
    body: bytes,
    secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    content_type: str,
) -> dict[str, str]:
    """Headers of a Slack request carrying `body`: signature, timestamp and Content-Type.

    `timestamp` defaults to now. `retry_num` / `retry_reason` add `X-Slack-Retry-Num` and
    `X-Slack-Retry-Reason`, which Slack sends when it re-delivers an event it saw no ack for.
    """
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, secret, ts),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
    if retry_reason is not None:
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers

"""The one place an HTTP failure becomes a connector error (:mod:`connectors.errors`).

Every connector over ``httpx.AsyncClient`` sends through :func:`send_json`, so a vendor's
misbehaviour reads the same whichever system it is:

    ============================================  ==============================  =========
    what happened                                 error                           retried
    ============================================  ==============================  =========
    429 (``Retry-After``: seconds or a date)      RateLimited(retry_after=…)      yes
    500-599, 408, 409                             SystemUnavailable               yes
    timed out (connect, read, write, pool)        OperationTimeout                yes
    connection refused, reset, DNS, TLS           SystemUnavailable               yes
    2xx whose body is not JSON                    SystemUnavailable               yes
    401 (bad or expired credentials)              AccessDenied                    no
    403 (a permission or scope is missing)        AccessDenied                    no
    404                                           RecordNotFound                  no
    any other 4xx                                 PermanentOperationError         no
    ============================================  ==============================  =========

Retrying is the engine's business (:mod:`workflows.engine.resilience`), never a connector's.
Messages name the system and the status and nothing else: never a URL, a header or the
vendor's own text, which may echo a credential back ("Invalid API Key provided: sk_test_…").
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connectors.errors import AccessDenied, RateLimited, RecordNotFound, SystemUnavailable
from workflows.clock import Clock
from workflows.errors import OperationError, OperationTimeout, PermanentOperationError

RETRIED_STATUSES = frozenset({408, 409})


async def send_json(
    client: httpx.AsyncClient, request: httpx.Request, *, system: str, label: str, clock: Clock
) -> Any:
    """Send ``request`` and return its JSON body, or raise the error the failure maps to.

    ``system`` is the system id the error carries (``"billing"``); ``label`` names the system
    in the message a person reads ("Stripe is not responding (503)")."""
    try:
        response = await client.send(request)
    except httpx.HTTPError as exc:
        raise error_of_exception(exc, system=system, label=label) from None
    failure = error_of_response(response, system=system, label=label, now=clock.now())
    if failure is not None:
        raise failure
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise SystemUnavailable(
            f"{label} answered with something that is not JSON ({response.status_code})",
            system=system,
        ) from None


def error_of_response(
    response: httpx.Response, *, system: str, label: str, now: datetime
) -> OperationError | None:
    """The error an HTTP answer stands for, or ``None`` when it succeeded (2xx)."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    if status == 429:
        wait = retry_after_seconds(response.headers.get("retry-after"), now)
        asked = f", asked to wait {wait:g}s" if wait is not None else ""
        return RateLimited(
            f"{label} is rate limiting us (429{asked})", system=system, retry_after=wait
        )
    if status >= 500 or status in RETRIED_STATUSES:
        return SystemUnavailable(f"{label} is not responding ({status})", system=system)
    if status == 401:
        return AccessDenied(
            f"{label} refused our credentials (401): the key may be wrong, expired or revoked",
            system=system,
        )
    if status == 403:
        return AccessDenied(
            f"{label} refused the request (403): our credentials lack a permission",
            system=system,
        )
    if status == 404:
        return RecordNotFound(f"{label} has no such record (404)", system=system)
    return PermanentOperationError(f"{label} refused the request ({status})", system=system)


def error_of_exception(exc: httpx.HTTPError, *, system: str, label: str) -> OperationError:
    """The error a failed exchange (no usable answer at all) stands for."""
    if isinstance(exc, httpx.TimeoutException):
        return OperationTimeout(f"{label} did not answer in time", system=system)
    if isinstance(exc, httpx.TransportError):
        return SystemUnavailable(f"{label} cannot be reached ({_plainly(exc)})", system=system)
    return SystemUnavailable(f"{label} answered in a way we cannot read", system=system)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header in seconds from ``now``: either a number of seconds or an
    HTTP date (RFC 9110); ``None`` when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def _plainly(exc: httpx.TransportError) -> str:
    match exc:
        case httpx.ConnectError():
            return "connection failed"
        case httpx.RemoteProtocolError():
            return "the connection broke off"
        case httpx.ProxyError():
            return "the proxy refused"
        case _:
            return "network error"


__all__ = ["error_of_exception", "error_of_response", "retry_after_seconds", "send_json"]

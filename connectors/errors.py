"""Errors a connector raises, drawn as one tree under the core's operation errors.

    workflows.errors.OperationError
    ├── TransientOperationError        worth retrying
    │   ├── SystemUnavailable          the system did not answer properly (5xx, refused)
    │   └── RateLimited                the system asked us to slow down (429)
    └── PermanentOperationError        retrying will not help
        ├── RecordNotFound             the system has no such record
        └── AccessDenied               the system refused our credentials or scope

Every error carries ``system`` (the system id, e.g. ``"support"``) and a message a person can
read in Slack ("The support desk is not responding (503)"), never a credential, a URL or a
vendor's own text. :mod:`connectors.http` is the one place an HTTP failure becomes one of
these; the engine retries the transient ones (waiting ``RateLimited.retry_after`` when given)
and nobody else does.
"""

from __future__ import annotations

from workflows.errors import PermanentOperationError, TransientOperationError


class SystemUnavailable(TransientOperationError):
    """The system is down or answered with a server error; a later call may succeed."""


class RateLimited(TransientOperationError):
    """The system throttled us; ``retry_after`` (seconds, from ``Retry-After``) is how long it
    asked us to wait, when it said: the engine's next attempt waits at least that long."""

    def __init__(
        self, message: str, *, system: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, system=system)
        self.retry_after = retry_after


class RecordNotFound(PermanentOperationError):
    """The system has no record with the id we asked for."""


class AccessDenied(PermanentOperationError):
    """The system refused the request: bad credentials or missing scope."""

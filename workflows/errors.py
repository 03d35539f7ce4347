"""Errors of the core, drawn as one tree.

CrosswireError
├── PlanError                  a plan does not fit the catalog (unknown operation, bad
│                              argument, cycle); permanent, nothing has run
├── OperationError             an operation failed
│   ├── TransientOperationError    worth retrying: a system is down, slow or rate-limited
│   │   └── OperationTimeout       no answer within the step's time limit
│   └── PermanentOperationError    retrying will not help: bad input, no such record,
│       │                          access denied
│       └── NotPermitted           the requester may not see or do this (their territory)
└── DeliveryError              progress or an answer could not be shown to the requester
    ├── TransientDeliveryError     worth retrying: the chat system blinked (5xx of any body,
    │                              rate limits past the client's own retries, timeouts,
    │                              connection errors)
    └── PermanentDeliveryError     refused for good (no such channel, not a member, invalid
                                   blocks, message too long, bad token, missing scope, …)

``retryable`` is the one thing a retry loop reads; ``code`` keeps the chat system's own error
code (``not_in_channel``) so the edge can choose another way to reach the requester.
"""

from __future__ import annotations


class CrosswireError(Exception):
    """Base of every error Crosswire raises on purpose."""


class PlanError(CrosswireError):
    """A plan that cannot run: it names something the catalog does not have, or is cyclic."""


class OperationError(CrosswireError):
    """An operation on a system failed. ``retryable`` says whether trying again may help."""

    retryable: bool = False

    def __init__(self, message: str, *, system: str | None = None) -> None:
        super().__init__(message)
        self.system = system


class TransientOperationError(OperationError):
    """The system may answer if asked again: it is down, overloaded or slow."""

    retryable = True


class OperationTimeout(TransientOperationError):
    """The system did not answer within the step's time limit."""


class PermanentOperationError(OperationError):
    """Asking again will not help: the input is wrong or access is denied."""


class NotPermitted(PermanentOperationError):
    """The person who asked may not see or do this. The message is the sentence they read
    ("You don't have access to Blue Harbor Logistics; its owner is Marcus Chen."): an answer
    shows it as it is, not as a system that failed."""


class DeliveryError(CrosswireError):
    """A reporter could not show progress or the answer to the requester.

    ``code`` is the chat system's error code when it gave one (``channel_not_found``)."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientDeliveryError(DeliveryError):
    """The chat system may take the message if asked again: it failed, was slow or busy."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """The chat system refused the message and will refuse it again, as it is."""


def retryable_delivery(exc: BaseException) -> bool:
    """Whether a failed delivery is worth another attempt (a DBOS step's ``should_retry``)."""
    return isinstance(exc, DeliveryError) and exc.retryable

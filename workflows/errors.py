"""Errors of the core, drawn as one tree.

CrosswireError
├── PlanError                  a plan does not fit the catalog (unknown operation, bad
│                              argument, cycle); permanent, nothing has run
└── OperationError             an operation failed
    ├── TransientOperationError    worth retrying: a system is down, slow or rate-limited
    │   └── OperationTimeout       no answer within the step's time limit
    └── PermanentOperationError    retrying will not help: bad input, no such record,
                                   access denied
"""

from __future__ import annotations


class CrosswireError(Exception):
    """Base of every error Crosswire raises on purpose."""


class DeliveryError(CrosswireError):
    """A reporter could not show progress or the answer to the requester."""


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

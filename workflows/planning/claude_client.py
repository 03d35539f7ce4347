"""The seam between the Claude planner and the client library it is given.

The core imports no HTTP client (a test pins it), so the planner types the injected
``anthropic.AsyncAnthropic`` by what it uses (:class:`ModelClient`) and is told which of the
library's exceptions mean a failed call (:class:`ModelErrors`). :func:`refuse_remote` is the
switch that makes any real model request fail in tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from workflows.errors import CrosswireError

NETWORK_SWITCH = "CROSSWIRE_TEST_NO_NETWORK"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class RealModelRequestRefused(CrosswireError):
    """A model request would leave this machine while ``CROSSWIRE_TEST_NO_NETWORK=1``."""


class Dumpable(Protocol):
    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


class MessagesAPI(Protocol):
    """The part of ``AsyncAnthropic().messages`` the planner calls."""

    async def create(
        self,
        *,
        max_tokens: int,
        messages: Any,
        model: Any,
        system: Any,
        tool_choice: Any,
        tools: Any,
        timeout: float,
    ) -> Dumpable: ...


class ModelClient(Protocol):
    """An ``anthropic.AsyncAnthropic``, as far as the planner uses it."""

    @property
    def base_url(self) -> Any: ...

    @property
    def messages(self) -> MessagesAPI: ...


@dataclass(frozen=True)
class ModelErrors:
    """The client library's exceptions: ``api`` for any failed call (``anthropic.APIError``,
    after the client's own retries), ``timeout`` for one that ran out of time."""

    api: tuple[type[Exception], ...]
    timeout: tuple[type[Exception], ...] = ()


def refuse_remote(client: ModelClient) -> None:
    """Raise :class:`RealModelRequestRefused` when the test switch is on and the client
    would reach beyond this machine."""
    if os.environ.get(NETWORK_SWITCH) != "1":
        return
    host = urlsplit(str(client.base_url)).hostname or ""
    if host not in LOCAL_HOSTS:
        raise RealModelRequestRefused(
            f"{NETWORK_SWITCH}=1: refusing a model request to {host or 'an unknown host'}; "
            "point the client at the Messages API stand-in"
        )


def failure_note(exc: Exception, errors: ModelErrors) -> str:
    """What went wrong with a failed call, in one line for the requester."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, errors.timeout):
        return "Claude did not answer in time"
    if status == 529:
        return "Claude is overloaded right now"
    if status == 429:
        return "Claude's rate limit was reached"
    if isinstance(status, int) and status >= 500:
        return f"Claude is unavailable (HTTP {status})"
    if isinstance(status, int):
        return f"Claude refused the request (HTTP {status})"
    return "Claude could not be reached"

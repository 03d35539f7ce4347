"""The one way a connector's health check turns one cheap authorised read into plain words
(:class:`~connectors.protocol.Reachability`): refused credentials (``AccessDenied``) mean
the system answers but will not take ours; any other failure means it could not be reached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connectors.errors import AccessDenied
from connectors.protocol import Reachability
from workflows.errors import OperationError


async def probe(
    system: str,
    note: str,
    read: Callable[[], Awaitable[Any]],
    *,
    missing: str = "",
    refusal: Callable[[Any], str] = lambda _: "",
) -> Reachability:
    """What ``read`` found for ``system``; ``missing`` (a credential not set) skips the read,
    and ``refusal`` says why an answer that came back still counts as refused ("" if not)."""

    def row(reachable: bool, authorised: bool, problem: str = "") -> Reachability:
        return Reachability(system=system, reachable=reachable, authorised=authorised,
                            problem=problem, note=note)  # fmt: skip

    if missing:
        return row(False, False, missing)
    try:
        answer = await read()
    except AccessDenied as exc:
        return row(True, False, str(exc))
    except OperationError as exc:
        return row(False, False, str(exc))
    refused = refusal(answer)
    return row(True, False, refused) if refused else row(True, True)


__all__ = ["probe"]

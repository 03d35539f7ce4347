"""The identity layer's CPU-heavy work, run away from the event loop: a refresh's
re-resolution and the directory's lookups made again take seconds at a million records, and
Slack's acknowledgements must go on meanwhile.

One thread of its own, rather than asyncio's default pool (which DBOS bounds and writes its
checkpoints through): the work takes turns anyway (one change to the graph at a time, see
:class:`~connectors.identity.IdentityDirectory`). Whoever hands work here must make sure
nothing changes what it reads until it is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

T = TypeVar("T")

_WORKER: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crosswire-identity")


async def aside(make: Callable[..., T], *args: object) -> T:
    """``make(*args)`` on the identity layer's own thread."""
    return await asyncio.get_running_loop().run_in_executor(_WORKER, make, *args)

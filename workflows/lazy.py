"""Package exports imported when first used, so that reading settings does not import a
vendor's SDK or the engine.

A package whose public names live in heavy modules (the MCP SDK, DBOS through the demo
world's operations, SQLAlchemy through the schedule store) lists them here instead of
importing them at the top of its ``__init__``; type checkers read the same names from an
``if TYPE_CHECKING:`` import::

    __getattr__ = lazy_exports(__name__, {"open_mcp": "connectors.mcp.connector"})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name in ``homes`` is read from its
    module the first time it is asked for."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return __getattr__

"""What the list and search operations share: paging, the customer each system's record
belongs to, and a read wrapper that hands the handler the call's context.

The handler is told the :class:`~workflows.catalog.CallContext` so that what a list shows can
later depend on who asks (``ctx.requester_email``); today every list shows everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, Field

from connectors.demo.ops_base import Input
from workflows.domain import AccountRef

InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)
T = TypeVar("T")

MAX_PAGE = 200


class AccountSource(Protocol):
    """Where the customers and their ids in every system come from (the identity directory)."""

    def accounts(self) -> list[AccountRef]: ...


class PageInput(Input):
    """Paging of a list: at most ``limit`` records (up to 200), after skipping ``offset``."""

    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=100_000)


@dataclass(frozen=True)
class Page(Generic[T]):
    """The records of one page, how many matched in all, and where the next page starts."""

    items: list[T]
    total: int
    next_offset: int | None


def page(items: Sequence[T], paging: PageInput) -> Page[T]:
    """The page of ``items`` that ``paging`` asks for."""
    end = paging.offset + paging.limit
    chosen = list(items[paging.offset : end])
    return Page(chosen, len(items), end if end < len(items) else None)


class AccountIndex:
    """Customers by the id each system knows them by (``("support", "org-1042")`` → Acme)."""

    def __init__(self, source: AccountSource) -> None:
        self._source = source

    def by_link(self, system: str) -> dict[str, AccountRef]:
        """Each customer ``system`` has a record of, by that record's id."""
        found: dict[str, AccountRef] = {}
        for account in self._source.accounts():
            link = account.links.get(system)
            if link is not None:
                found.setdefault(link, account)
        return found

    def by_id(self) -> dict[str, AccountRef]:
        """Every customer by its unified (CRM) account id."""
        return {a.account_id: a for a in self._source.accounts()}


def lowered(text: str | None) -> str | None:
    """``text`` trimmed and in lower case, for comparisons that ignore case; None stays None."""
    return None if text is None else text.strip().lower()

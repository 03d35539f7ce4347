"""What of an operation's output a principal may see: records of accounts outside their
territory left out (with the totals worked out again), billing amounts they may not see
withheld, and a record that names one account they may not see refused.

It reads outputs by their shape, whatever the operation: a record belongs to the account it
carries (``account``, an :class:`~workflows.domain.AccountRef`, or ``account_id``), or, for
a mail thread or a meeting, to the customers its people's domains are (one the principal or
their team takes part in is theirs); an amount is a record's
``amount`` with its ``currency``. Per-account reads (an input with one ``account``) are
checked before the call (:mod:`connectors.access.guard`); here their amounts are withheld
by that account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from connectors.access.principal import AccessPrincipal
from workflows.domain import AMOUNT_WITHHELD, AccountRef


@dataclass(frozen=True)
class Scoped:
    """An output as the principal may see it, and what was taken out of it."""

    output: BaseModel
    left_out: int = 0
    withheld: int = 0


@dataclass(frozen=True)
class Scope:
    """One principal reading one system; ``account_id`` is the account of a per-account read."""

    principal: AccessPrincipal
    system: str
    account_id: str | None = None

    def output(self, output: BaseModel) -> Scoped:
        """``output`` with what the principal may not see left out or withheld."""
        updates: dict[str, Any] = {}
        left_out = withheld = 0
        for name in type(output).model_fields:
            value = getattr(output, name)
            if not isinstance(value, list) or not value or not isinstance(value[0], BaseModel):
                continue
            kept = [r for r in value if self._visible(r)]
            shown = [self._amounts(r) for r in kept]
            left_out += len(value) - len(kept)
            withheld += sum(1 for r in shown if _withheld(r))
            if left_out or withheld:
                updates[name] = shown
        if not updates:
            return Scoped(output)
        return Scoped(_totals(output, updates), left_out, withheld)

    def _visible(self, record: BaseModel) -> bool:
        account = record_account(record)
        if account is not _NONE:
            return self.principal.may_read(account, self.system)
        people = _people_of(record)
        if people is None or self.system in self.principal.sees_all:
            return True
        if self.principal.team & {p.strip().lower() for p in people}:
            return True  # their own (or their team's) thread or meeting
        accounts = self.principal.org.accounts_of(people)
        return all(self.principal.may_read(a, self.system) for a in accounts)

    def _amounts(self, record: BaseModel) -> BaseModel:
        if not isinstance(getattr(record, "amount", None), float | int):
            return record
        if not isinstance(getattr(record, "currency", None), str):
            return record
        account = record_account(record)
        account = self.account_id if account is _NONE else account
        owner = account if isinstance(account, str) else None
        if self.principal.may_see_amounts(owner, self.system):
            return record
        return record.model_copy(update={"amount": 0.0, "currency": AMOUNT_WITHHELD})


_NONE: Any = object()  # a record that names no account at all (as opposed to None)


def record_account(record: BaseModel) -> str | None:
    """The account a record belongs to: its ``account``'s id, its ``account_id``, None when
    it has such a field without a value, or ``_NONE`` when it has neither."""
    if isinstance(record, AccountRef):
        return record.account_id
    fields = type(record).model_fields
    if "account" in fields:
        account = value_of(record, "account")
        return account.account_id if isinstance(account, AccountRef) else None
    if "account_id" in fields:
        value = value_of(record, "account_id")
        return value if isinstance(value, str) else None
    return _NONE  # type: ignore[no-any-return]


def _people_of(record: BaseModel) -> list[str] | None:
    """Who a mail thread (its participants) or a meeting (organiser and attendees) is with."""
    fields = type(record).model_fields
    if "participants" in fields:
        return list(value_of(record, "participants"))
    if "attendees" in fields and "organizer_email" in fields:
        return [value_of(record, "organizer_email"), *value_of(record, "attendees")]
    return None


def value_of(model: BaseModel, name: str) -> Any:
    """A field of a model whose class is known only by its shape."""
    return getattr(model, name)


def _withheld(record: BaseModel) -> bool:
    return getattr(record, "currency", None) == AMOUNT_WITHHELD


def _totals(output: BaseModel, updates: dict[str, Any]) -> BaseModel:
    """``output`` with ``updates`` (its lists as shown) and the counts and sums that describe
    them worked out again: ``total``, ``total_amount`` (None when an amount is withheld),
    ``emails`` (the shown records' addresses, in order)."""
    fields = type(output).model_fields
    shown = next(iter(updates.values()))
    if "total" in fields:
        updates["total"] = len(shown)
    if "total_amount" in fields:
        hidden = any(_withheld(r) for r in shown)
        amount = round(sum(float(getattr(r, "amount", 0.0)) for r in shown), 2)
        updates["total_amount"] = None if hidden else amount
    if "emails" in fields:
        updates["emails"] = [value_of(r, "email") for r in shown if hasattr(r, "email")]
    if "count" in fields:
        updates["count"] = len(shown)
    return output.model_copy(update=updates)

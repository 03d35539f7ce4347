"""What of an operation's output a principal may see: records of accounts outside their
territory left out (with the totals worked out again), amounts they may not see withheld, and
a record that names one account they may not see refused.

It reads outputs by their shape, whatever the operation and whichever connector answered (the
demo world, HubSpot, Stripe, ...): a record belongs to the account it carries (``account``, an
:class:`~workflows.domain.AccountRef`, or ``account_id``), else to the record it is part of
(a deal of a CRM account), else, for a mail thread or a meeting, to the customers its people's
domains are (one the principal or their team takes part in is theirs). An amount is a
record's ``amount`` or ``annual_value`` (an invoice, a deal, a contract, an account's contract
value), at any depth of the output: withheld, it reads 0 with the currency
:data:`~workflows.domain.AMOUNT_WITHHELD`, and a sum over withheld amounts (``total_amount``)
reads None. Per-account reads (an input with one ``account``) are checked before the call
(:mod:`connectors.access.guard`); here their amounts are withheld by that account.
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
        left_out = 0
        for name in type(output).model_fields:
            value = getattr(output, name)
            if not isinstance(value, list) or not value or not isinstance(value[0], BaseModel):
                continue
            kept = [r for r in value if self._visible(r)]
            if len(kept) < len(value):
                left_out += len(value) - len(kept)
                updates[name] = kept
        narrowed = _totals(output, updates) if updates else output
        shown, withheld = self._amounts(narrowed, self.account_id)
        if not left_out and not withheld:
            return Scoped(output)
        return Scoped(shown, left_out, withheld)

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

    def _amounts(self, record: BaseModel, parent: str | None) -> tuple[BaseModel, int]:
        """``record`` (and every record inside it) with the amounts the principal may not
        see withheld, and how many records had one withheld. A record without an account of
        its own belongs to ``parent``'s."""
        own = record_account(record)
        account = parent if own is _NONE else own
        updates: dict[str, Any] = {}
        withheld = 0
        for name in type(record).model_fields:
            value = getattr(record, name)
            if isinstance(value, BaseModel):
                shown, count = self._amounts(value, account)
                if count:
                    updates[name], withheld = shown, withheld + count
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                pairs = [self._amounts(r, account) for r in value]
                count = sum(n for _, n in pairs)
                if count:
                    updates[name], withheld = [r for r, _ in pairs], withheld + count
        hidden = self._hidden_amounts(record, account)
        if hidden:
            updates |= hidden
            withheld += 1
        if withheld and "total_amount" in type(record).model_fields:
            updates["total_amount"] = None
        return (record.model_copy(update=updates), withheld) if updates else (record, 0)

    def _hidden_amounts(self, record: BaseModel, account: str | None) -> dict[str, Any]:
        """The updates that withhold ``record``'s own amounts, if it has any they may not see."""
        fields = type(record).model_fields
        names = [n for n in AMOUNT_FIELDS if n in fields and _is_number(getattr(record, n))]
        if not names or self.principal.may_see_amounts(account, self.system):
            return {}
        hidden: dict[str, Any] = {n: 0.0 for n in names}
        if "currency" in fields:
            hidden["currency"] = AMOUNT_WITHHELD
        else:
            hidden = dict.fromkeys(names)
        return hidden


AMOUNT_FIELDS = ("amount", "annual_value")
"""The fields that hold money: an invoice's or a deal's amount, a contract's yearly value."""


def _is_number(value: object) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


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


def _totals(output: BaseModel, updates: dict[str, Any]) -> BaseModel:
    """``output`` with ``updates`` (its lists as shown) and the counts and sums that describe
    them worked out again: ``total``, ``total_amount``, ``emails`` (the shown records'
    addresses, in order)."""
    fields = type(output).model_fields
    shown = next(iter(updates.values()))
    if "total" in fields:
        updates["total"] = len(shown)
    if "total_amount" in fields:
        updates["total_amount"] = round(sum(float(getattr(r, "amount", 0.0)) for r in shown), 2)
    if "emails" in fields:
        updates["emails"] = [value_of(r, "email") for r in shown if hasattr(r, "email")]
    if "count" in fields:
        updates["count"] = len(shown)
    return output.model_copy(update=updates)

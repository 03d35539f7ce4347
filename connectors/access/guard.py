"""Access control on every call: each operation of the catalog wrapped, at composition time,
so that whatever planner or workflow asks, the requester's principal decides what it gets.

- An input that names an account (``account``, ``account_id``) the requester may not read in
  that system, or may not write on, is refused before the system is asked: a permanent
  :class:`~connectors.access.refusal.NoAccess` ("You don't have access to Blue Harbor
  Logistics; its owner is Marcus Chen."), recorded in the audit with its rule.
- An output that is one account they may see nothing of (the directory's answer) is refused
  the same way; a list leaves out the records of accounts outside their territory, over
  every page (the list is read whole, then paged as asked), and its totals say what is left.
- Billing amounts they may not see are withheld (:mod:`connectors.access.scope`).

Undoing a write (a compensating operation) is never refused: it only takes back what the run
did. The principal comes from the call's ``requester_email`` (:mod:`connectors.access.principals`).
"""

from __future__ import annotations

import typing
from dataclasses import replace
from typing import Any, Final, Protocol

from pydantic import BaseModel

from connectors.access.principal import AccessPrincipal
from connectors.access.principals import Principals
from connectors.access.refusal import NoAccess
from connectors.access.scope import Scope, Scoped, value_of
from workflows.catalog import AnyOperation, CallContext, Catalog
from workflows.domain import AccountRef

MAX_PAGES: Final = 500
IDENTITY_SYSTEMS: Final = frozenset({"directory"})


class AccessLog(Protocol):
    """Where refusals and narrowed answers are recorded (the audit)."""

    async def refused(self, ctx: CallContext, operation: AnyOperation, refusal: NoAccess) -> None:
        """A call refused: which account, by which rule; never the account's data."""

    async def narrowed(self, ctx: CallContext, operation: AnyOperation, scoped: Scoped) -> None:
        """A call answered with records left out or amounts withheld (counts only)."""


def guarded(catalog: Catalog, principals: Principals, log: AccessLog) -> Catalog:
    """``catalog`` with every operation checked against the requester's principal."""
    undoers = {op.undo for op in catalog if op.undo is not None}
    return Catalog.of(
        [guard(op, principals, log, undoes=op.name in undoers) for op in catalog],
        catalog.system_labels,
    )


def guard(
    operation: AnyOperation, principals: Principals, log: AccessLog, *, undoes: bool = False
) -> AnyOperation:
    """``operation`` checked against the principal of each call's requester."""
    inner = operation.handler

    async def handler(inp: BaseModel, ctx: CallContext) -> BaseModel:
        principal = await principals.of(ctx.requester_email)
        try:
            account = None if undoes else _checked_input(operation, inp, principal)
            output = await _whole(operation, inp, ctx, inner)
            _check_found(operation, output, principal)
        except NoAccess as refusal:
            await log.refused(ctx, operation, refusal)
            raise
        scoped = Scope(principal, operation.system, account).output(output)
        if scoped.left_out or scoped.withheld:
            await log.narrowed(ctx, operation, scoped)
        return _as_asked(operation, inp, scoped.output)

    return replace(operation, handler=handler)


def _checked_input(op: AnyOperation, inp: BaseModel, principal: AccessPrincipal) -> str | None:
    """The account the input names (if one), once the principal may use it; else refused."""
    account = _named_account(inp)
    if account is None:
        return None
    if op.access == "write":
        allowed = principal.may_write(account)
    elif op.system in IDENTITY_SYSTEMS:
        allowed = principal.may_see_any(account)
    else:
        allowed = principal.may_read(account, op.system)
    if not allowed:
        raise principal.refusal(account, op.system)
    return account


def _named_account(inp: BaseModel) -> str | None:
    fields = type(inp).model_fields
    account = getattr(inp, "account", None) if "account" in fields else None
    if isinstance(account, AccountRef):
        return account.account_id
    account_id = getattr(inp, "account_id", None) if "account_id" in fields else None
    return account_id.strip() if isinstance(account_id, str) and account_id.strip() else None


def _check_found(op: AnyOperation, output: BaseModel, principal: AccessPrincipal) -> None:
    """An answer that is one account (the directory's) must be one they may see."""
    account = getattr(output, "account", None)
    if isinstance(account, AccountRef) and not principal.may_see_any(account.account_id):
        raise principal.refusal(account.account_id, op.system)


# ------------------------------------------------------------------ lists, read whole


def _list_field(model: type[BaseModel]) -> str | None:
    """The field of ``model`` that holds its records (the first list of models)."""
    for name, info in model.model_fields.items():
        args = typing.get_args(info.annotation)
        if typing.get_origin(info.annotation) is list and args and _is_model(args[0]):
            return name
    return None


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _largest(model: type[BaseModel], name: str) -> int | None:
    for rule in model.model_fields[name].metadata:
        bound = getattr(rule, "le", None)
        if isinstance(bound, int):
            return bound
    return None


def _paged(op: AnyOperation) -> bool:
    fields = op.input_model.model_fields
    pages = "next_offset" in op.output_model.model_fields
    return "limit" in fields and "offset" in fields and pages


async def _whole(op: AnyOperation, inp: BaseModel, ctx: CallContext, inner: Any) -> BaseModel:
    """The operation's answer over every record it has: all pages of a paged list, the
    largest page of a limited search; any other answer as it comes."""
    records = _list_field(op.output_model)
    fields = op.input_model.model_fields
    largest = _largest(op.input_model, "limit") if "limit" in fields else None
    if records is None or largest is None:
        return await inner(inp, ctx)  # type: ignore[no-any-return]
    if not _paged(op):
        return await inner(inp.model_copy(update={"limit": largest}), ctx)  # type: ignore[no-any-return]
    offset: int | None = 0
    first: BaseModel | None = None
    gathered: list[Any] = []
    for _ in range(MAX_PAGES):
        if offset is None:
            break
        page = await inner(inp.model_copy(update={"limit": largest, "offset": offset}), ctx)
        first = first or page
        gathered += getattr(page, records)
        offset = value_of(page, "next_offset")
    assert first is not None
    return first.model_copy(update={records: gathered, "next_offset": None})


def _as_asked(op: AnyOperation, inp: BaseModel, output: BaseModel) -> BaseModel:
    """The page (or the number of matches) the input asked for, of the whole answer."""
    records = _list_field(op.output_model)
    fields = op.input_model.model_fields
    if records is None or "limit" not in fields or _largest(op.input_model, "limit") is None:
        return output
    offset = int(getattr(inp, "offset", 0)) if "offset" in fields else 0
    end = offset + int(value_of(inp, "limit"))
    every = getattr(output, records)
    chosen = every[offset:end]
    updates: dict[str, Any] = {records: chosen}
    if _paged(op):
        updates["next_offset"] = end if end < len(every) else None
    if "emails" in type(output).model_fields:
        updates["emails"] = [value_of(r, "email") for r in chosen if hasattr(r, "email")]
    return output.model_copy(update=updates)

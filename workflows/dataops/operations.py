"""The data operations: filter, sort, top N, count by a field and join, on records earlier
steps produced. They run in the engine like any operation but call no system, so they are
pure and instant, and a failure is always the plan's (:class:`DataError`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.dataops.fields import SYSTEM, DataError, compare, kind, ordered, read, scalar
from workflows.dataops.models import (
    CountByInput,
    FilterInput,
    JoinInput,
    Records,
    SortInput,
    TopInput,
)

SYSTEM_LABELS: Final = {SYSTEM: "Data"}
InT = TypeVar("InT", bound=BaseModel)
Row = dict[str, Any]


def filter_records(inp: FilterInput) -> Records:
    """The records whose field passes the comparison, in their order."""
    return Records.of(
        [r for r in inp.records if compare(inp.op, read(r, inp.field), inp.value, inp.field)]
    )


def sort_records(inp: SortInput) -> Records:
    """The records by the field (stable: ties keep their order), nulls last either way."""
    keyed = [(read(r, inp.field), r) for r in inp.records]
    present = [(v, r) for v, r in keyed if v is not None]
    ordered(inp.field, [v for v, _ in present], "sort by it")
    present.sort(key=lambda pair: pair[0], reverse=inp.order == "desc")
    return Records.of([r for _, r in present] + [r for v, r in keyed if v is None])


def top_records(inp: TopInput) -> Records:
    """The first ``n`` records."""
    return Records.of(inp.records[: inp.n])


def count_by(inp: CountByInput) -> Records:
    """``{"value": v, "count": n}`` per distinct value of the field, most frequent first
    (ties in order of first appearance)."""
    counts: dict[tuple[str, object], Row] = {}
    for record in inp.records:
        value = scalar(inp.field, read(record, inp.field), "count by it")
        group = counts.setdefault((kind(value), value), {"value": value, "count": 0})
        group["count"] += 1
    groups = sorted(counts.values(), key=lambda g: -int(g["count"]))
    return Records.of(groups)


def join_records(inp: JoinInput) -> Records:
    """Each left record with its matching right records under ``into`` (see
    :class:`JoinInput`); a null key matches nothing."""
    right_key = inp.right_key or inp.key
    matches: dict[tuple[str, object], list[Row]] = {}
    for record in inp.right:
        value = scalar(right_key, read(record, right_key), "join on it")
        if value is not None:
            matches.setdefault((kind(value), value), []).append(record)
    joined: list[Row] = []
    for record in inp.left:
        if inp.into in record:
            raise DataError(f"the left records already have a field {inp.into!r}: choose `into`")
        value = scalar(inp.key, read(record, inp.key), "join on it")
        found = [] if value is None else matches.get((kind(value), value), [])
        if found or inp.how == "left":
            joined.append({**record, inp.into: found})
    return Records.of(joined)


def data_operations() -> list[AnyOperation]:
    """The data operations, for the catalog (system labels: :data:`SYSTEM_LABELS`)."""
    return [
        _operation(
            "data.filter",
            "Keep the records (a list from an earlier step) whose `field` (dotted path, e.g. "
            "account.name) passes `op` against `value`: eq, ne, gt, ge, lt, le (numbers, or "
            "ISO dates as strings), contains (substring ignoring case, or list element), in "
            "(one of a list).",
            FilterInput,
            filter_records,
        ),
        _operation(
            "data.sort",
            "Order records by `field` (dotted path), `order` asc or desc; nulls last.",
            SortInput,
            sort_records,
        ),
        _operation("data.top", "The first `n` records, in their order.", TopInput, top_records),
        _operation(
            "data.count_by",
            "Count records per value of `field` (dotted path): records of {value, count}, "
            "most frequent first.",
            CountByInput,
            count_by,
        ),
        _operation(
            "data.join",
            "Join two record lists: each `left` record gets the `right` records whose "
            "`right_key` (default `key`) equals its `key` (dotted paths, e.g. "
            "account.account_id), as a list under `into` (default matches); `how` inner keeps "
            "only left records with a match, left keeps all.",
            JoinInput,
            join_records,
        ),
    ]


def _operation(
    name: str, description: str, model: type[InT], run: Callable[[InT], Records]
) -> Operation[InT, Records]:
    return Operation(
        name=name,
        system=SYSTEM,
        description=description,
        input_model=model,
        output_model=Records,
        handler=_handler(run),
        access="read",
    )


def _handler(run: Callable[[InT], Records]) -> Callable[[InT, CallContext], Awaitable[Records]]:
    async def handle(inp: InT, ctx: CallContext) -> Records:
        return run(inp)

    return handle

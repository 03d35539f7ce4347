"""Reading step outputs as the context needs them: which customer the plan is about, which
steps read that customer, and each output flattened into facts (one per record, nested
records apart), with amounts the requester may not see counted.

Outputs are read by their shape (JSON), whatever the operation or connector: a customer is an
``account`` with an ``account_id`` (the identity graph's answer, as the directory gives it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from workflows.context.models import ContextFact, EntityRef
from workflows.domain import AMOUNT_WITHHELD
from workflows.plan import Plan
from workflows.results import StepResult

TEXT_CHARS: Final = 600
"""A text value longer than this (a mail snippet, a document) is cut, with an ellipsis."""


def entity_of(plan: Plan, results: Mapping[str, StepResult]) -> EntityRef | None:
    """The customer most of the plan's steps read (by their ``account`` argument, a literal
    or a reference to an earlier output), or None when they read none or many alike."""
    counts: dict[str, int] = {}
    found: dict[str, EntityRef] = {}
    for step in plan.steps:
        ref = _account(step.args, results)
        if ref is not None:
            counts[ref.account_id] = counts.get(ref.account_id, 0) + 1
            found.setdefault(ref.account_id, ref)
    if not counts:
        return None
    best = max(counts.values())
    leaders = [a for a, n in counts.items() if n == best]
    return found[leaders[0]] if len(leaders) == 1 else None


def steps_about(plan: Plan, results: Mapping[str, StepResult], entity: EntityRef) -> set[str]:
    """The steps whose account (or ``account_id``) argument is ``entity``."""
    about = set()
    for step in plan.steps:
        ref = _account(step.args, results)
        named = ref.account_id if ref is not None else step.args.get("account_id")
        if named == entity.account_id:
            about.add(step.id)
    return about


def _account(args: Mapping[str, Any], results: Mapping[str, StepResult]) -> EntityRef | None:
    value = args.get("account")
    if isinstance(value, dict) and set(value) == {"$ref"}:
        value = _lookup(str(value["$ref"]), results)
    return _entity(value)


def _entity(value: Any) -> EntityRef | None:
    if not isinstance(value, dict) or not isinstance(value.get("account_id"), str):
        return None
    links = value.get("links") if isinstance(value.get("links"), dict) else {}
    return EntityRef(
        account_id=value["account_id"],
        name=str(value.get("name") or value["account_id"]),
        domain=value.get("domain") if isinstance(value.get("domain"), str) else None,
        records={str(k): str(v) for k, v in (links or {}).items()},
    )


def _lookup(path: str, results: Mapping[str, StepResult]) -> Any:
    step, _, rest = path.partition(".")
    result = results.get(step)
    value: Any = result.output if result is not None and result.ok else None
    for part in rest.split(".") if rest else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def facts_of(step: str, output: Any) -> Iterator[ContextFact]:
    """``output`` flattened: one fact per record, its nested records as facts of their own."""
    yield from _walk(step, output, "")


def _walk(step: str, value: Any, about: str) -> Iterator[ContextFact]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                yield from _walk(step, item, f"{about}[{index}]")
        plain = [v for v in value if not isinstance(v, dict | list)]
        if plain and len(plain) == len(value):
            yield ContextFact(step=step, about=about or "value", fields={"values": plain})
        return
    if not isinstance(value, dict):
        if value is not None:
            yield ContextFact(step=step, about=about or "value", fields={"value": _cut(value)})
        return
    fields: dict[str, Any] = {}
    nested: list[tuple[str, Any]] = []
    for key, item in value.items():
        if isinstance(item, dict) or (isinstance(item, list) and _has_records(item)):
            nested.append((key, item))
        elif item is not None and item != [] and item != "":
            fields[key] = [_cut(v) for v in item] if isinstance(item, list) else _cut(item)
    if fields:
        yield ContextFact(step=step, about=about or "record", fields=fields)
    for key, item in nested:
        yield from _walk(step, item, f"{about}.{key}" if about else key)


def _has_records(items: list[Any]) -> bool:
    return any(isinstance(i, dict | list) for i in items)


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > TEXT_CHARS:
        return value[: TEXT_CHARS - 1].rstrip() + "…"
    return value


def withheld(output: Any) -> int:
    """How many records of ``output`` carry an amount withheld from the requester."""
    if isinstance(output, list):
        return sum(withheld(v) for v in output)
    if not isinstance(output, dict):
        return 0
    own = 1 if output.get("currency") == AMOUNT_WITHHELD else 0
    return own + sum(withheld(v) for v in output.values() if isinstance(v, dict | list))


__all__ = ["entity_of", "facts_of", "steps_about", "withheld"]

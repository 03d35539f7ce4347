"""The context builder: for a customer and an objective, what each system knows, gathered into
one typed context within a size budget (:class:`~workflows.context.models.EntityContext`).

The step outputs it reads are what the access layer let through for the requester (every
operation of the catalog is checked: ``connectors.access``). A caller that holds the
requester's access rights too (a :class:`Sight`, such as the access layer's principal) passes
them, and the builder leaves out again whatever of another customer, or of a system, they may
not read: the context never carries more than the requester may see, whoever built it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflows.context.gather import entity_of, facts_of, steps_about, withheld
from workflows.context.models import (
    Budget,
    ContextFact,
    Dropped,
    EntityContext,
    EntityRef,
    Gap,
    SettledField,
    SystemRecords,
)
from workflows.context.rank import ranked, within, words
from workflows.context.settle import ALIASES, settled_fields
from workflows.library.precedence import Precedence
from workflows.plan import Plan
from workflows.results import StepResult


class Sight(Protocol):
    """What one requester may read (``connectors.access.AccessPrincipal`` is one)."""

    def may_read(self, account_id: str | None, system: str) -> bool: ...


def build_context(
    objective: str,
    principal: str,
    plan: Plan,
    results: Mapping[str, StepResult],
    labels: Mapping[str, str],
    precedence: Precedence,
    *,
    budget: Budget | None = None,
    entity: EntityRef | None = None,
    sight: Sight | None = None,
) -> EntityContext:
    """The context of ``objective`` for ``principal`` (an email address) from the run's
    ``results``, about ``entity`` (by default the customer the plan's steps read)."""
    budget = budget or Budget()
    entity = _seen(entity or entity_of(plan, results), sight)
    order = [s.id for s in plan.steps if s.id in results]
    shown = {k: _visible(r, entity, sight) for k, r in results.items()}
    gaps = [_gap(results[s], labels) for s in order if shown[s] is None or not results[s].ok]
    usable = [s for s in order if shown[s] is not None and results[s].ok]
    about = steps_about(plan, results, entity) if entity is not None else set()
    settled = settled_fields([_as(results[s], shown[s]) for s in usable if s in about], labels,
                             precedence)  # fmt: skip
    disputed = {f.field for f in settled if f.disputed} | _aliases(settled)
    facts = [f for s in usable for f in facts_of(s, shown[s])]
    step_words = {s.id: words(f"{s.operation} {s.title or ''} {labels.get(_sys(s.operation), '')}")
                  for s in plan.steps}  # fmt: skip
    facts = ranked(facts, objective, step_words, disputed)
    sizes = [f.size() + 1 for f in facts]
    keep, drop = within(facts, sizes, budget.chars)
    kept, dropped = [facts[i] for i in keep], [facts[i] for i in drop]
    systems = _by_system(usable, results, labels, kept, dropped, entity)
    return EntityContext(
        objective=objective,
        principal=principal,
        entity=entity,
        systems=systems,
        settled=tuple(settled),
        gaps=tuple(gaps),
        withheld_amounts=sum(withheld(shown[s]) for s in usable),
        budget_chars=budget.chars,
        used_chars=sum(sizes[i] for i in keep),
        dropped=_dropped(dropped, [sizes[i] for i in drop], results),
    )


def disagreements(
    plan: Plan, results: Mapping[str, StepResult], labels: Mapping[str, str], precedence: Precedence
) -> tuple[SettledField, ...]:
    """The fields the systems that read the plan's customer disagree on, settled (none when
    the plan reads no one customer)."""
    entity = entity_of(plan, results)
    if entity is None:
        return ()
    about = steps_about(plan, results, entity)
    read = [results[s.id] for s in plan.steps if s.id in about and s.id in results]
    return tuple(f for f in settled_fields(read, labels, precedence) if f.disputed)


def _seen(entity: EntityRef | None, sight: Sight | None) -> EntityRef | None:
    """The entity with only the records of the systems ``sight`` may read."""
    if entity is None or sight is None:
        return entity
    records = {s: r for s, r in entity.records.items() if sight.may_read(entity.account_id, s)}
    return entity.model_copy(update={"records": records})


def _visible(result: StepResult, entity: EntityRef | None, sight: Sight | None) -> Any:
    """The step's output as ``sight`` may read it; None when none of it."""
    if sight is None:
        return result.output
    account = entity.account_id if entity is not None else None
    if account is not None and not sight.may_read(account, result.system):
        return None
    return _records_seen(result.output, result.system, sight)


def _records_seen(value: Any, system: str, sight: Sight) -> Any:
    """``value`` without the records of accounts ``sight`` may not read in ``system``, and
    without the links (record ids) of an account in systems it may not read."""
    if isinstance(value, list):
        return [_records_seen(v, system, sight) for v in value if _readable(v, system, sight)]
    if not isinstance(value, dict):
        return value
    seen = {k: _records_seen(v, system, sight) for k, v in value.items()}
    account, links = value.get("account_id"), value.get("links")
    if isinstance(account, str) and isinstance(links, dict):
        seen["links"] = {s: r for s, r in links.items() if sight.may_read(account, str(s))}
    return seen


def _readable(record: Any, system: str, sight: Sight) -> bool:
    if not isinstance(record, dict):
        return True
    account = record.get("account")
    account_id = account.get("account_id") if isinstance(account, dict) else None
    account_id = account_id or record.get("account_id")
    return not isinstance(account_id, str) or sight.may_read(account_id, system)


def _as(result: StepResult, output: Any) -> StepResult:
    return result.model_copy(update={"output": output})


def _aliases(settled: list[SettledField]) -> set[str]:
    return {n for f in settled if f.disputed for n in ALIASES.get(f.field, ())}


def _sys(operation: str) -> str:
    return operation.partition(".")[0]


def _gap(result: StepResult, labels: Mapping[str, str]) -> Gap:
    denied = result.ok  # an output the requester's sight took away whole
    return Gap(
        step=result.step_id,
        system=result.system,
        source=labels.get(result.system, result.system),
        status="not_permitted" if denied else result.status,
        error="not yours to read" if denied else (result.error or "no output"),
    )


def _by_system(
    usable: list[str],
    results: Mapping[str, StepResult],
    labels: Mapping[str, str],
    kept: list[ContextFact],
    dropped: list[ContextFact],
    entity: EntityRef | None,
) -> tuple[SystemRecords, ...]:
    systems = list(dict.fromkeys(results[s].system for s in usable))
    out = []
    for system in systems:
        steps = tuple(s for s in usable if results[s].system == system)
        out.append(SystemRecords(
            system=system,
            source=labels.get(system, system),
            record=entity.records.get(system) if entity is not None else None,
            steps=steps,
            facts=tuple(f for f in kept if f.step in steps),
            dropped=sum(1 for f in dropped if f.step in steps),
        ))  # fmt: skip
    return tuple(out)


def _dropped(
    dropped: list[ContextFact], sizes: list[int], results: Mapping[str, StepResult]
) -> Dropped:
    by_system: dict[str, int] = {}
    for fact in dropped:
        system = results[fact.step].system
        by_system[system] = by_system.get(system, 0) + 1
    return Dropped(facts=len(dropped), chars=sum(sizes), by_system=by_system)


__all__ = ["Sight", "build_context", "disagreements"]

"""The fields two systems of a context both hold, settled by the configured precedence
(:class:`~workflows.library.precedence.Precedence`): which value wins, whose it is, and who
disagrees, in words the answer can repeat ("Contracts says 2027-03-01; CRM disagrees: 2027-02-16").

Only the steps that read the context's customer are asked, and only their records about it
(lists are not walked: a list is about many customers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final

from workflows.context.models import Reported, SettledField
from workflows.domain import AMOUNT_WITHHELD
from workflows.library.formatting import day, money
from workflows.library.precedence import Precedence
from workflows.results import StepResult

# Where each field is found in a record, by the names systems give it.
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "renewal_date": ("renewal_date",),
    "owner": ("owner_email",),
    "phone": ("phone", "org_phone"),
    "billing_email": ("billing_email",),
    "annual_value": ("annual_value",),
}


def settled_fields(
    results: Iterable[StepResult], labels: Mapping[str, str], precedence: Precedence
) -> list[SettledField]:
    """Each field that two or more systems report in ``results``, settled."""
    reported: dict[str, dict[str, Reported]] = {}
    for result in results:
        if not result.ok:
            continue
        for field, value in _values(result.output).items():
            label = labels.get(result.system, result.system)
            seen = reported.setdefault(field, {})
            seen.setdefault(result.system, Reported(
                system=result.system, source=label, value=value, step=result.step_id
            ))  # fmt: skip
    out = []
    for field in sorted(reported, key=_order(precedence)):
        by_system = reported[field]
        if len(by_system) < 2:
            continue
        resolved = precedence.resolve(field, {s: r.value for s, r in by_system.items()})
        if resolved is None:
            continue
        winner = by_system[resolved.source]
        dissent = tuple(by_system[d.source] for d in resolved.dissent)
        label = precedence.fields[field].label if field in precedence.fields else field
        out.append(SettledField(
            field=field, label=label or field.replace("_", " "), winner=winner,
            dissent=dissent, note=note(winner, dissent, by_system.values()),
        ))  # fmt: skip
    return out


def note(winner: Reported, dissent: tuple[Reported, ...], all_: Iterable[Reported]) -> str:
    """ "Contracts says 2027-03-01; CRM disagrees: 2027-02-16", or who agrees."""
    if not dissent:
        sources = " and ".join(r.source for r in all_)
        return f"{sources} agree: {winner.value}"
    others = "; ".join(f"{d.source} disagrees: {d.value}" for d in dissent)
    return f"{winner.source} says {winner.value}; {others}"


def in_words(settled: SettledField) -> str:
    """The settled field as an answer says it: "Renewal date: Mar 14 (Contracts; CRM
    disagrees: Mar 1)", or, when the systems agree, "Renewal date: Mar 14 (Contracts)"."""
    field = settled.field
    shown = settled.label[:1].upper() + settled.label[1:]
    shown += f": {readable(field, settled.winner.value)}"
    others = "; ".join(f"{d.source} disagrees: {readable(field, d.value)}" for d in settled.dissent)
    return f"{shown} ({settled.winner.source}{'; ' + others if others else ''})"


def readable(field: str, value: str) -> str:
    """A field's value as answers show it: a date as a day, a contract value as money,
    anything else as it is."""
    try:
        if field == "annual_value":
            return money(float(value))
        return day(date.fromisoformat(value)) if field.endswith("_date") else value
    except ValueError:
        return value


def _order(precedence: Precedence) -> Any:
    listed = list(precedence.fields)
    return lambda f: (listed.index(f) if f in listed else len(listed), f)


def _values(output: Any) -> dict[str, str]:
    """The first value of each field in ``output``'s records (its lists left alone)."""
    found: dict[str, str] = {}
    pending = [output]
    while pending:
        record = pending.pop(0)
        if not isinstance(record, dict):
            continue
        for field, names in ALIASES.items():
            value = next((record[n] for n in names if record.get(n) not in (None, "")), None)
            if value is None or field in found:
                continue
            if field == "annual_value" and record.get("currency") == AMOUNT_WITHHELD:
                continue
            found[field] = _shown(value)
        pending += [v for v in record.values() if isinstance(v, dict)]
    return found


def _shown(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{float(value):.2f}"
    return str(value).strip()


__all__ = ["ALIASES", "in_words", "note", "readable", "settled_fields"]

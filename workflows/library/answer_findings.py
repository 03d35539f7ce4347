"""The parts of a free-form answer: its findings (the final step's records, with the evidence
joined into each and what the fan-outs over them read) and its context (what every other
step found, in a line each)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, Final

from workflows.answers import Finding, SourcedFact
from workflows.library.answer_records import line_of, read_lines, record_list, title_of
from workflows.library.answer_sources import cite
from workflows.library.answer_trace import Origin, additions, origin
from workflows.library.compose import ComposeInput
from workflows.library.formatting import money
from workflows.plan import Step
from workflows.results import StepResult

PAGING: Final = frozenset({"limit", "offset"})
COUNT_BY: Final = "data.count_by"


def findings(data: ComposeInput, final: Step) -> list[Finding]:
    """One finding per record of the final step's list; one for its whole output when it
    has no list (a single contract, say)."""
    result = data.results[final.id]
    listed = record_list(result.output)
    if listed is None:
        lines = read_lines(final.operation, result.output, data)
        facts = tuple(cite(data, final.id, line.text, line.record) for line in lines)
        return [Finding(title=data.plan.subject or final.title or final.operation, facts=facts)]
    trace = origin(data.plan, final.id)
    counted = str(final.args.get("field")) if final.operation == COUNT_BY else None
    added = [(step, _per_item(data.results.get(step.id))) for step in additions(data.plan, final)]
    return [
        Finding(
            title=title_of(record, n), facts=tuple(_facts(data, record, n, trace, added, counted))
        )
        for n, record in enumerate(listed[1])
    ]


def _facts(
    data: ComposeInput,
    record: dict[str, Any],
    index: int,
    trace: Origin,
    added: list[tuple[Step, Mapping[int, Any]]],
    counted: str | None,
) -> Iterator[SourcedFact]:
    own = line_of(record, data.now, counted=counted)
    yield cite(data, trace.step, own.text, own.record)
    yield from _joined(data, record, trace)
    for step, outputs in added:
        if index in outputs:
            for line in read_lines(step.operation, outputs[index], data):
                yield cite(data, step.id, line.text, line.record)


def _joined(data: ComposeInput, record: dict[str, Any], trace: Origin) -> Iterator[SourcedFact]:
    """The records a join put into ``record``, each citing the step that read it."""
    for into, source in trace.joined.items():
        nested = record.get(into)
        for item in nested if isinstance(nested, list) else []:
            if isinstance(item, dict):
                same = _account_id(item) is not None and _account_id(item) == _account_id(record)
                line = line_of(item, data.now, account=not same)
                yield cite(data, source.step, line.text, line.record)
                yield from _joined(data, item, source)


def _account_id(record: dict[str, Any]) -> str | None:
    account = record.get("account")
    found = account.get("account_id") if isinstance(account, dict) else None
    return found if isinstance(found, str) else None


def _per_item(result: StepResult | None) -> Mapping[int, Any]:
    """A fan-out's outputs by the index of the item each call was for."""
    if result is None or not result.ok:
        return {}
    if result.items:
        return {item.index: item.output for item in result.items if item.ok}
    return dict(enumerate(result.output)) if isinstance(result.output, list) else {}


def context_facts(data: ComposeInput, *, skip: Collection[str]) -> Iterator[SourcedFact]:
    """A line for each other step that answered, in plan order; a data step in between
    (a join, a filter) only when the plan says what it is for (its title)."""
    for step in data.plan.steps:
        result = data.results.get(step.id)
        if step.id in skip or result is None or not result.ok:
            continue
        if step.operation.startswith("data.") and not step.title:
            continue
        gist = _gist(step, result.output, data)
        yield cite(data, step.id, f"{step.title}: {gist}" if step.title else gist)


def _gist(step: Step, output: Any, data: ComposeInput) -> str:
    """What a step found, in a few words: "14 invoices, $95,000 in all (min days overdue 1)"."""
    if isinstance(output, list):
        return f"{len(output)} {'call' if len(output) == 1 else 'calls'} answered"
    listed = record_list(output)
    if listed is None:
        return read_lines(step.operation, output, data)[0].text
    name, records = listed
    count = len(records)
    action = step.operation.partition(".")[2]
    plain_action = action.startswith(("list_", "search_", "find_", "get_"))
    noun = (action if action.endswith(name) and not plain_action else name).replace("_", " ")
    noun = noun[:-1] if count == 1 and noun.endswith("s") else noun
    total = output.get("total")
    text = (
        f"{count} of {total} {noun}"
        if isinstance(total, int) and total > count
        else f"{count} {noun}"
    )
    amount = output.get("total_amount")
    if isinstance(amount, int | float) and count:
        text += f", {money(float(amount))} in all"
    elif "total_amount" in output and amount is None and count:
        text += ", amounts withheld"
    asked = [f"{k.replace('_', ' ')} {v}" for k, v in step.args.items() if _literal(k, v)]
    return f"{text} ({', '.join(asked)})" if asked else text


def _literal(name: str, value: Any) -> bool:
    return name not in PAGING and isinstance(value, str | int | float | bool)


__all__ = ["context_facts", "findings"]

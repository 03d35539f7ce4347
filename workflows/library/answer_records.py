"""Records as short lines: what a free-form answer says about each record a step returned.

A record is recognised by its shape (the fields of a :mod:`workflows.domain` model: an
account in a list, an overdue invoice, a ticket, a deal, a contact, a count) and described in
the words the briefing uses; a record of no known shape is shown as its plain fields. A
per-account read (a contract, the CRM record) is worded by the briefing's section builders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from workflows.domain import (
    AccountDeal,
    AccountRef,
    AccountSummary,
    AccountTicket,
    ContactMatch,
    Deal,
    Invoice,
    OverdueInvoice,
    Ticket,
)
from workflows.library.briefing_reads import SYSTEM_READS
from workflows.library.briefing_sections import SECTION_BUILDERS
from workflows.library.compose import ComposeInput
from workflows.library.formatting import day, money, plural, relative

GENERIC_FIELDS: Final = 6
GENERIC_TEXT: Final = 240
# Most specific first: an overdue invoice is an invoice too.
SHAPES: Final[tuple[type[BaseModel], ...]] = (
    AccountSummary,
    OverdueInvoice,
    Invoice,
    AccountTicket,
    Ticket,
    AccountDeal,
    Deal,
    ContactMatch,
)
_BRIEFING_SYSTEMS: Final = {read.operation: read.system for read in SYSTEM_READS}


@dataclass(frozen=True)
class Line:
    """One statement about a record, and the record's id where it has one."""

    text: str
    record: str | None = None


def recognise(record: dict[str, Any]) -> BaseModel | None:
    """``record`` as the first known model whose fields it has, or None."""
    for model in SHAPES:
        fields = model.model_fields
        if not {n for n, f in fields.items() if f.is_required()} <= record.keys():
            continue
        try:
            return model.model_validate({k: v for k, v in record.items() if k in fields})
        except ValidationError:
            continue
    return None


def title_of(record: dict[str, Any], index: int) -> str:
    """What a record is called as an entry of an answer's list."""
    match recognise(record):
        case AccountSummary(account=account):
            return account.name
        case Invoice(number=number):
            return number
        case Ticket(id=ticket_id, subject=subject):
            return f"{ticket_id} “{subject}”"
        case Deal(name=name) | ContactMatch(name=name):
            return name
    if set(record) == {"value", "count"}:
        return str(record["value"])
    for key in ("name", "title", "subject", "id", "number"):
        if isinstance(record.get(key), str) and record[key]:
            return str(record[key])
    return f"Result {index + 1}"


def line_of(
    record: dict[str, Any], now: datetime, *, counted: str | None = None, account: bool = True
) -> Line:
    """The record in one line; ``counted`` names the field a count of records is by, and
    ``account`` False leaves out the customer a record belongs to (it is said already)."""
    found = recognise(record)
    if found is not None:
        line = _known(found, now)
        owner = getattr(found, "account", None)
        if account and isinstance(owner, AccountRef) and not isinstance(found, AccountSummary):
            return Line(f"{line.text} · {owner.name}", line.record)
        return line
    if set(record) == {"value", "count"} and isinstance(record["count"], int):
        by = f" with {counted.replace('_', ' ')}" if counted else ""
        return Line(f"{plural(record['count'], 'record')}{by} {record['value']}")
    return Line(_plain_fields(record))


def _known(found: BaseModel, now: datetime) -> Line:
    match found:
        case AccountSummary():
            return Line(_account_summary(found, now), found.account.account_id)
        case OverdueInvoice():
            text = (
                f"Overdue: {found.number}, {money(found.amount, found.currency)}, due "
                f"{day(found.due_on)} ({plural(found.days_overdue, 'day')} late)"
            )
            return Line(text, found.number)
        case Invoice():
            text = f"Invoice {found.number}, {money(found.amount, found.currency)}, {found.status}"
            return Line(f"{text}, due {day(found.due_on)}", found.number)
        case Ticket():
            text = (
                f"{found.priority} {found.id} “{found.subject}”: {found.status}, opened "
                f"{relative(found.opened_at, now)}"
            )
            return Line(text, found.id)
        case Deal():
            text = (
                f"Deal {found.name}, {money(found.amount, found.currency)}, {found.stage}, "
                f"closes {day(found.close_date)} ({relative(found.close_date, now)})"
            )
            return Line(text, found.id)
        case ContactMatch():
            return Line(f"{found.name}, {found.title} <{found.email}>", found.id)
    return Line(_plain_fields(found.model_dump(mode="json")))


def _account_summary(found: AccountSummary, now: datetime) -> str:
    text = f"Owner {found.owner_name} · {found.lifecycle_stage} · {found.industry}"
    if found.renewal_date is not None:
        text += f" · renews {day(found.renewal_date)} ({relative(found.renewal_date, now)})"
    if found.annual_value is not None:
        text += f", {money(found.annual_value, found.currency)}/year"
    return text


def _plain_fields(record: dict[str, Any]) -> str:
    """A record of no known shape: its first few plain fields (a nested record by name)."""
    parts = [f"{k.replace('_', ' ')}: {_plain(v)}" for k, v in record.items() if _shown(v)]
    text = ", ".join(parts[:GENERIC_FIELDS]) or "(no details)"
    return text if len(text) <= GENERIC_TEXT else text[: GENERIC_TEXT - 1].rstrip() + "…"


def _shown(value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(value.get("name"), str)
    return value is not None and not isinstance(value, list)


def _plain(value: Any) -> str:
    return str(value["name"]) if isinstance(value, dict) else str(value)


def read_lines(operation: str, output: Any, data: ComposeInput) -> list[Line]:
    """What one call of a per-account read (``contracts.get_contract``…) found, as the
    briefing words it; other operations' outputs as their records or plain fields."""
    system = _BRIEFING_SYSTEMS.get(operation)
    if system is not None and isinstance(output, dict):
        section = SECTION_BUILDERS[system](output, data)
        return [Line(f.text, f.record) for f in section.facts] or [Line(section.note)]
    records = records_in(output)
    if records is not None:
        return [line_of(r, data.now) for r in records]
    return [Line(_plain_fields(output) if isinstance(output, dict) else str(output))]


def records_in(output: Any) -> list[dict[str, Any]] | None:
    """The list of records in a step's output: a data operation's ``records``, else its
    first list of objects (``accounts``, ``tickets``…); None when it has no list."""
    found = record_list(output)
    return found[1] if found is not None else None


def record_list(output: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """The field of :func:`records_in`'s list, and the list."""
    if not isinstance(output, dict):
        return None
    named = sorted(output.items(), key=lambda kv: kv[0] != "records")
    for name, value in named:
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return name, list(value)
    return None


__all__ = ["Line", "line_of", "read_lines", "recognise", "record_list", "records_in", "title_of"]

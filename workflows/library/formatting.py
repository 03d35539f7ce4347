"""Small, consistent wording for amounts and dates in answers."""

from __future__ import annotations

from datetime import date, datetime

from workflows.domain import AMOUNT_WITHHELD


def money(amount: float, currency: str = "USD") -> str:
    if currency == AMOUNT_WITHHELD:
        return "(amount withheld)"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    whole = f"{amount:,.0f}"
    return f"{symbol}{whole}" if symbol else f"{whole} {currency}"


def day(value: date | datetime) -> str:
    d = value.date() if isinstance(value, datetime) else value
    return f"{d:%b} {d.day}"


def relative(value: date | datetime, now: datetime) -> str:
    """'today', 'in 3 days', '2 days ago': whole days between the two dates."""
    d = value.date() if isinstance(value, datetime) else value
    delta = (d - now.date()).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


def days_between(earlier: date | datetime, later: date | datetime) -> int:
    a = earlier.date() if isinstance(earlier, datetime) else earlier
    b = later.date() if isinstance(later, datetime) else later
    return (b - a).days


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"

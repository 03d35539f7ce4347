"""The canonical form of the facts every system holds, applied where a vendor's value enters
the project's models: so the same fact from the demo world, HubSpot, Zendesk, Google or
Stripe comes out identical, whatever shape its system sent it in.

- a moment is an aware ``datetime`` in UTC (:func:`moment`): ISO 8601 / RFC 3339 with any
  offset or ``Z``, or seconds or milliseconds since the epoch; a time without a zone is UTC;
- a day is a ``date`` (:func:`day`): ``YYYY-MM-DD``, or the UTC day of a moment;
- an amount is :class:`Money`: a ``Decimal`` with the currency's minor-unit exponent (JPY
  0, USD 2, BHD 3) and an upper-case ISO 4217 code (:func:`money`, :meth:`Money.of_minor`);
- a phone number is E.164, ``+`` and its digits (:func:`phone`);
- a person's name has single spaces and, when it was typed all in one case, capitals at the
  start of each part (:func:`person_name`); an email address is trimmed and in lower case.

A value that cannot be read raises :class:`Unreadable` (a ``ValueError``), which each
connector words as its system's fault; a phone or a name that is not there is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

from connectors.resolution.normalise import phone as phone_digits

Epoch = Literal["s", "ms"]

# ISO 4217 currencies whose minor unit is not a hundredth; every other has two decimals.
ZERO_DECIMAL: Final = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF")
EXPONENTS: Final = {
    **dict.fromkeys((*ZERO_DECIMAL, "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
_CODE = re.compile(r"[A-Z]{3}")
_NAME_PART = re.compile(r"[^\W\d_]+", re.UNICODE)
E164_MAX_DIGITS: Final = 15


class Unreadable(ValueError):
    """A vendor's value that is not a moment, a day, an amount or a currency."""


def moment(value: object, *, epoch: Epoch | None = None) -> datetime:
    """``value`` as an aware UTC datetime. A number (or a string of digits) counts from the
    epoch in ``epoch`` units, and is refused when ``epoch`` is not given; a naive datetime
    or ISO string is taken as UTC."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, int | float | str) and _is_number(value):
        if epoch is None:
            raise Unreadable(f"{value!r} is a number, not a time")
        seconds = float(value) / (1000 if epoch == "ms" else 1)
        return datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str):
        try:
            found = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Unreadable(f"{value!r} is not an ISO 8601 time") from None
    else:
        raise Unreadable(f"{value!r} is not a time")
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def day(value: object, *, epoch: Epoch | None = None) -> date:
    """``value`` as a date: a date stays itself, ``YYYY-MM-DD`` is that day, and any moment
    (see :func:`moment`) is its day in UTC."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise Unreadable(f"{value!r} is not an ISO 8601 date") from None
    return moment(value, epoch=epoch).date()


@dataclass(frozen=True)
class Money:
    """An amount in one currency, rounded to the currency's minor unit."""

    currency: str
    amount: Decimal

    @classmethod
    def of_minor(cls, units: object, currency: object, *, exponent: int | None = None) -> Money:
        """``units`` of the currency's minor unit (Stripe's ``1999`` USD is 19.99, ``1999``
        JPY is 1999); ``exponent`` when the vendor counts minor units its own way."""
        if isinstance(units, bool) or not isinstance(units, int | str) or not _is_number(units):
            raise Unreadable(f"{units!r} is not a whole number of minor units")
        code = currency_code(currency)
        places = minor_exponent(code) if exponent is None else exponent
        return money(Decimal(int(units)).scaleb(-places), code)

    @property
    def exponent(self) -> int:
        return minor_exponent(self.currency)

    @property
    def minor_units(self) -> int:
        """The amount in minor units (19.99 USD is ``1999``)."""
        return int(self.amount.scaleb(self.exponent))

    def __float__(self) -> float:
        return float(self.amount)


def money(amount: object, currency: object) -> Money:
    """``amount`` (a number or its text, ``"12500.50"``) in ``currency`` (any case)."""
    code = currency_code(currency)
    try:
        value = Decimal(str(amount).strip()) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        raise Unreadable(f"{amount!r} is not an amount") from None
    if not value.is_finite():
        raise Unreadable(f"{amount!r} is not an amount")
    step = Decimal(1).scaleb(-minor_exponent(code))
    return Money(code, value.quantize(step, rounding=ROUND_HALF_UP))


def currency_code(value: object) -> str:
    """An ISO 4217 code in upper case (``"usd"`` → ``"USD"``)."""
    code = str(value or "").strip().upper()
    if not _CODE.fullmatch(code):
        raise Unreadable(f"{value!r} is not an ISO 4217 currency code")
    return code


def minor_exponent(code: str) -> int:
    """How many decimals the currency's minor unit has (ISO 4217): JPY 0, USD 2, BHD 3."""
    return EXPONENTS.get(code, 2)


def phone(text: object, *, country_code: str = "1") -> str | None:
    """A phone number in E.164 (``"+14155550100"``): "(415) 555-0100", "+1 415.555.0100"
    and "001 415 555 0100" are one number; a national number gets ``country_code``, an
    extension is dropped. ``None`` when there is no number in it."""
    digits = phone_digits(str(text) if text is not None else None, country_code)
    if not digits or len(digits) > E164_MAX_DIGITS:
        return None
    return f"+{digits}"


def person_name(*parts: object) -> str:
    """A person's name from its parts (first and last, or the whole), single-spaced; a part
    typed all in capitals or all in lower case gets a capital at the start of each word
    (``"JEAN-LUC", "o'brien"`` → "Jean-Luc O'Brien"); a part in mixed case ("van der
    Berg", "McKay") is kept as typed."""
    words = (" ".join(str(p).split()) for p in parts if p is not None)
    return " ".join(_cased(w) for w in words if w)


def _cased(part: str) -> str:
    if part.isupper() or part.islower():
        return _NAME_PART.sub(lambda m: m.group(0).capitalize(), part)
    return part


def email(address: object) -> str:
    """An email address trimmed and in lower case (``""`` for none)."""
    return str(address or "").strip().lower()


def _is_number(value: int | float | str) -> bool:
    if isinstance(value, int | float):
        return not isinstance(value, bool)
    text = value.strip()
    return bool(re.fullmatch(r"-?\d+(\.\d+)?", text))


__all__ = [
    "Money",
    "Unreadable",
    "currency_code",
    "day",
    "email",
    "minor_exponent",
    "moment",
    "money",
    "person_name",
    "phone",
]

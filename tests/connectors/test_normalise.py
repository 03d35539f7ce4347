"""The canonical forms (connectors.normalise): each fact, in every shape a system sends it in,
comes out as one value; a value that is not one is refused, never guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors import normalise
from connectors.normalise import Money, Unreadable
from connectors.stripe.client import stripe_money

AT = datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("shape", "value", "epoch"),
    [
        ("HubSpot, ISO with milliseconds", "2026-11-18T11:06:40.000Z", None),
        ("HubSpot, Unix milliseconds", "1795000000000", "ms"),
        ("Gmail internalDate", "1795000000000", "ms"),
        ("Stripe, Unix seconds", 1795000000, "s"),
        ("Zendesk", "2026-11-18T11:06:40Z", None),
        ("Google, an offset west", "2026-11-18T06:06:40-05:00", None),
        ("Google, an offset east", "2026-11-18T16:36:40+05:30", None),
        ("a naive time is UTC", "2026-11-18T11:06:40", None),
        ("an aware datetime", AT.astimezone(timezone(timedelta(hours=9))), None),
    ],
)
def test_every_shape_of_one_moment_is_one_utc_datetime(
    shape: str, value: object, epoch: normalise.Epoch | None
) -> None:
    found = normalise.moment(value, epoch=epoch)
    assert found == AT and found.tzinfo is UTC, shape


@pytest.mark.parametrize("value", ["", "soon", "2026-13-01T00:00:00Z", None, 1795000000, "17950"])
def test_what_is_not_a_moment_is_refused(value: object) -> None:
    with pytest.raises(Unreadable):
        normalise.moment(value)  # a bare number is refused: seconds or milliseconds?


@pytest.mark.parametrize(
    ("value", "epoch"),
    [
        ("2026-11-18", None),  # a HubSpot date property, a Google all-day event
        (date(2026, 11, 18), None),
        ("1794960000000", "ms"),  # HubSpot's midnight UTC in milliseconds
        ("2026-11-18T23:30:00+00:00", None),
        ("2026-11-18T19:30:00-04:00", None),  # 23:30 UTC: still the 18th
    ],
)
def test_every_shape_of_one_day_is_one_date(value: object, epoch: normalise.Epoch | None) -> None:
    assert normalise.day(value, epoch=epoch) == date(2026, 11, 18)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (stripe_money(1999, "usd"), Money("USD", Decimal("19.99"))),
        (normalise.money("19.99", "USD"), Money("USD", Decimal("19.99"))),
        (normalise.money(19.99, "usd"), Money("USD", Decimal("19.99"))),
        (normalise.money("19.994", "USD"), Money("USD", Decimal("19.99"))),
        (normalise.money("0.005", "USD"), Money("USD", Decimal("0.01"))),  # half up
        (stripe_money(1999, "jpy"), Money("JPY", Decimal(1999))),
        (normalise.money("1999", "JPY"), Money("JPY", Decimal(1999))),
        (normalise.money("1999.4", "JPY"), Money("JPY", Decimal(1999))),
        (stripe_money(19990, "bhd"), Money("BHD", Decimal("19.990"))),
        (normalise.money("19.99", "bhd"), Money("BHD", Decimal("19.990"))),
        (stripe_money(500, "isk"), Money("ISK", Decimal(5))),  # Stripe counts króna in 100ths
        (normalise.money(5, "ISK"), Money("ISK", Decimal(5))),
        (stripe_money(5, "mga"), Money("MGA", Decimal("5.00"))),  # and the ariary in whole ones
    ],
)
def test_an_amount_in_any_vendors_shape_is_one_money(found: Money, expected: Money) -> None:
    assert found == expected
    assert found.amount.as_tuple().exponent == -normalise.minor_exponent(found.currency)


def test_money_counts_minor_units_by_the_currency() -> None:
    assert normalise.money("19.99", "USD").minor_units == 1999
    assert normalise.money("1999", "JPY").minor_units == 1999
    assert normalise.money("19.99", "BHD").minor_units == 19990
    assert float(normalise.money("19.99", "USD")) == 19.99


@pytest.mark.parametrize(
    ("amount", "currency"), [("lots", "USD"), ("NaN", "USD"), ("1", "dollars"), ("1", "")]
)
def test_what_is_not_an_amount_or_a_currency_is_refused(amount: str, currency: str) -> None:
    with pytest.raises(Unreadable):
        normalise.money(amount, currency)


@pytest.mark.parametrize(
    "typed",
    ["(415) 555-0100", "+1 415.555.0100", "001 415 555 0100", "1-415-555-0100",
     "415-555-0100 x23", " +1 (415) 555 0100 "],
)  # fmt: skip
def test_every_way_of_typing_one_phone_number_is_one_e164_number(typed: str) -> None:
    assert normalise.phone(typed) == "+14155550100"


def test_a_foreign_number_keeps_its_country_and_a_national_one_gets_the_default() -> None:
    assert normalise.phone("+44 20 7946 0018") == "+442079460018"
    assert normalise.phone("020 7946 0018", country_code="44") == "+442079460018"
    assert [normalise.phone(t) for t in (None, "", "ask reception", "12 34")] == [None] * 4


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("  Alex ", "Morgan"), "Alex Morgan"),
        (("ALEX", "MORGAN"), "Alex Morgan"),
        (("alex", "morgan"), "Alex Morgan"),
        (("Alex  Q.\tMorgan",), "Alex Q. Morgan"),
        (("JEAN-LUC", "o'brien"), "Jean-Luc O'Brien"),
        (("Ludwig", "van Beethoven"), "Ludwig van Beethoven"),  # mixed case is kept
        (("Siobhan", "McKay"), "Siobhan McKay"),
        (("Dana", None), "Dana"),
        ((None, ""), ""),
    ],
)
def test_a_persons_name_has_one_spacing_and_one_case(
    parts: tuple[str | None, ...], expected: str
) -> None:
    assert normalise.person_name(*parts) == expected


def test_an_email_address_is_trimmed_and_lower_case() -> None:
    assert normalise.email("  Diego.Ramirez@BlueHarbor.com ") == "diego.ramirez@blueharbor.com"
    assert normalise.email(None) == ""

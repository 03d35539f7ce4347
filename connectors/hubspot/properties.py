"""How HubSpot's property values read and how its search filters are written: every property
arrives as a string (times as ISO 8601 or Unix milliseconds, amounts as decimal text), and a
filter on a date or a time takes Unix milliseconds. The values pass through
:mod:`connectors.normalise`, so they come out as every other system's do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal

from connectors import normalise
from connectors.hubspot.client import LABEL, SYSTEM
from workflows.domain import Deal
from workflows.errors import PermanentOperationError

Stage = Literal["prospect", "customer", "churned"]
Kind = Literal["call", "email", "meeting", "note"]

KEY_PROPERTY: Final = "crosswire_idempotency_key"
BY_PROPERTY: Final = "crosswire_logged_by"  # who asked, when they are not a HubSpot owner
CHANGE_PROPERTY: Final = "crosswire_last_change"  # on companies: {"key": …, "previous": …}
# kind -> (object type, body property, association type id to a company, to a contact)
ENGAGEMENTS: Final[dict[Kind, tuple[str, str, int, int]]] = {
    "note": ("notes", "hs_note_body", 190, 202),
    "call": ("calls", "hs_call_body", 182, 194),
    "email": ("emails", "hs_email_text", 186, 198),
    "meeting": ("meetings", "hs_meeting_body", 188, 200),
}
COMPANY_PROPERTIES: Final = (
    "name", "industry", "lifecyclestage", "hubspot_owner_id", "phone", "renewal_date",
)  # fmt: skip

STAGE_TO_HUBSPOT: Final[dict[str, str]] = {
    "prospect": "opportunity", "customer": "customer", "churned": "other",
}  # fmt: skip
STAGE_OF: Final = {v: k for k, v in STAGE_TO_HUBSPOT.items()}
CLOSED_STAGES: Final = ("closedwon", "closedlost", "Closed Won", "Closed Lost")
DEAL_PROPERTIES: Final = ("dealname", "amount", "dealstage", "closedate", "deal_currency_code")
DEFAULT_CURRENCY: Final = "USD"  # a portal's deals without a currency are in its own


def eq(name: str, value: str) -> dict[str, str]:
    return {"propertyName": name, "operator": "EQ", "value": value}


def between(name: str, low: date | datetime, high: date | datetime) -> dict[str, str]:
    """Values from ``low`` to ``high``, both included; a date is its whole UTC day."""
    return {"propertyName": name, "operator": "BETWEEN", "value": millis(low),
            "highValue": millis(high, end_of_day=True)}  # fmt: skip


def millis(moment: date | datetime, *, end_of_day: bool = False) -> str:
    """A date or a time as HubSpot's filters take it: Unix milliseconds (a date: midnight
    UTC, or its last millisecond with ``end_of_day``)."""
    if not isinstance(moment, datetime):
        at = time.max.replace(microsecond=999_000) if end_of_day else time.min
        moment = datetime.combine(moment, at, UTC)
    return str(int(normalise.moment(moment).timestamp() * 1000))


def hubspot_time(moment: datetime) -> str:
    """A time as HubSpot writes its own: ISO 8601 in UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stage(value: object) -> Stage:
    """A company's ``lifecyclestage`` as the project's stage (anything else is a prospect)."""
    found = STAGE_OF.get(str(value), "prospect")
    return found  # type: ignore[return-value]


def moment(value: object) -> datetime:
    """HubSpot's times: ISO 8601 (``2026-11-20T10:00:00Z``) or Unix milliseconds."""
    try:
        return normalise.moment(value, epoch="ms")
    except normalise.Unreadable:
        raise PermanentOperationError(
            f"{LABEL} answered a time we cannot read", system=SYSTEM
        ) from None


def day(value: object) -> date | None:
    """A date property (``YYYY-MM-DD``, or midnight UTC in milliseconds); None when unset."""
    if value in (None, ""):
        return None
    try:
        return normalise.day(value, epoch="ms")
    except normalise.Unreadable:
        raise PermanentOperationError(
            f"{LABEL} answered a date we cannot read", system=SYSTEM
        ) from None


def deal(raw: dict[str, Any]) -> Deal:
    """A deal object as the project's Deal (its amount in its own currency)."""
    props = raw["properties"]
    try:
        amount = normalise.money(
            props.get("amount") or 0, props.get("deal_currency_code") or DEFAULT_CURRENCY
        )
        return Deal(
            id=str(raw["id"]),
            name=" ".join(str(props.get("dealname") or "").split()),
            amount=float(amount),
            currency=amount.currency,
            stage=str(props.get("dealstage") or ""),
            close_date=moment(props.get("closedate")).date(),
        )
    except (ValueError, PermanentOperationError):
        raise PermanentOperationError(
            f"{LABEL} answered a deal we cannot read", system=SYSTEM
        ) from None


def number(value: object) -> float | None:
    """A number property (decimal text); None when unset or not a number."""
    try:
        return float(str(value)) if value not in (None, "") else None
    except ValueError:
        return None

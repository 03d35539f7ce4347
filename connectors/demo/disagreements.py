"""Facts two demo systems both hold, and the few accounts where they disagree.

The CRM keeps each customer's renewal date and main phone; the contracts system keeps the
renewal date too and the support desk its organisation's phone. They agree everywhere but at
the planted accounts below, so a briefing has real disagreements to settle by precedence
(:mod:`workflows.library.precedence`). Nothing here is drawn from the generator's random
stream: the rest of the world is the same as without them.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from typing import Final

from connectors.demo.companies import Company

# The CRM's renewal date is this many days off the contract's (the CRM was not updated
# when the contract was renegotiated).
CRM_RENEWAL_SHIFT: Final = {"Quantum Freight Inc.": -13}
# The support desk still has the number the customer used before it moved offices.
SUPPORT_PHONE_STALE: Final = frozenset({"Northgate Properties LLC"})
AREA_CODES: Final = ("212", "312", "415", "512", "617", "646", "206", "303", "404", "718")
STALE_AREA_CODE: Final = "907"


def phone_of(company: Company, *, stale: bool = False) -> str:
    """The company's main phone number, fixed by its id (``stale``: its previous one, in an
    area code no current number has): a North American number in the 555-0100 to 555-0199
    range kept for fiction, its last two digits the id's (one number per account)."""
    line = int("".join(c for c in company.id if c.isdigit()) or 0) % 100
    area = STALE_AREA_CODE if stale else AREA_CODES[zlib.crc32(company.id.encode()) % 10]
    return f"+1 {area} 555 01{line:02d}"


def crm_renewal(company: Company, today: date) -> date | None:
    """The renewal date the CRM keeps: a paying customer's contract's, unless planted."""
    if company.profile not in ("story", "healthy", "at_risk"):
        return None
    days = company.renewal_in_days + CRM_RENEWAL_SHIFT.get(company.name, 0)
    return today + timedelta(days=days)


def support_phone(company: Company) -> str:
    """The phone the support desk keeps for the company's organisation."""
    return phone_of(company, stale=company.name in SUPPORT_PHONE_STALE)

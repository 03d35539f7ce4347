"""Which system a briefing believes when two of them hold the same fact and disagree.

The CRM keeps a renewal date the contracts system keeps too, and a phone the support desk
keeps too. :func:`settle` reads both from the briefing's step results and lets the configured
:class:`~workflows.library.precedence.Precedence` pick the winner; :func:`disagreement` words
the other side for the fact that shows the winner: "(Contracts; CRM says 1 March 2027)".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from workflows.domain import ContractLookup, CrmLookup, Tickets
from workflows.library.briefing_reads import read
from workflows.library.compose import ComposeInput
from workflows.library.formatting import day
from workflows.library.precedence import Precedence, Resolution


@dataclass(frozen=True)
class Truth:
    """The settled fields of one briefing, by field name (a field no system held is absent)."""

    fields: Mapping[str, Resolution] = field(default_factory=dict)

    def get(self, name: str) -> Resolution | None:
        return self.fields.get(name)


@cache
def default_precedence() -> Precedence:
    """The packaged demo precedence, read once when first needed."""
    return Precedence.load()


def settle(data: ComposeInput, precedence: Precedence) -> Truth:
    """Each field two systems of this briefing hold, settled by ``precedence``."""
    crm = (read(data, CrmLookup) or CrmLookup()).account
    contract = (read(data, ContractLookup) or ContractLookup()).contract
    tickets = read(data, Tickets)
    reported: dict[str, dict[str, str | None]] = {
        "renewal_date": {
            "crm": _iso(crm.renewal_date if crm else None),
            "contracts": _iso(contract.renewal_date if contract else None),
        },
        "phone": {
            "crm": crm.phone if crm else None,
            "support": tickets.org_phone if tickets else None,
        },
    }
    settled = {name: precedence.resolve(name, values) for name, values in reported.items()}
    return Truth({name: r for name, r in settled.items() if r is not None})


def disagreement(
    resolution: Resolution, data: ComposeInput, shown: Callable[[str], str] = str
) -> str:
    """`` (Winner; Other says X)`` when another system disagrees, else nothing."""
    if not resolution.disputed:
        return ""
    others = "; ".join(f"{data.label(d.source)} says {shown(d.value)}" for d in resolution.dissent)
    return f" ({data.label(resolution.source)}; {others})"


def shown_day(value: str) -> str:
    """An ISO date as the briefing shows days."""
    return day(date.fromisoformat(value))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


__all__ = ["Truth", "default_precedence", "disagreement", "settle", "shown_day"]

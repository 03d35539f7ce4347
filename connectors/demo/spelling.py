"""How each system spells a customer's name, as real systems do: differently.

The support desk favours short upper-case names, billing drops legal forms, contracts use the
full legal name. Each rule keeps the name recognisable after normalisation (case, punctuation
and legal suffixes), which is what identity linking relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Final

_SUFFIXES: Final = (
    "Corporation",
    "Corp",
    "Inc.",
    "Inc",
    "Co.",
    "Ltd",
    "LLC",
    "LLP",
    "GmbH",
    "AG",
    "SA",
)
_SHORT: Final = {"Corporation": "Corp.", "Corp": "Corp.", "Inc.": "Inc.", "Co.": "Co."}
_LEGAL: Final = (", Inc.", " LLC", ", Inc.", " Ltd.")

# The story customer is spelled by hand so the demo script can quote it.
ACME_SPELLINGS: Final = {
    "support": "ACME Corp.",
    "billing": "Acme Corp",
    "contracts": "Acme Corporation, Inc.",
}


def split_suffix(name: str) -> tuple[str, str | None]:
    """``("Quantum Freight", "Inc.")`` for ``"Quantum Freight Inc."``; no suffix gives None."""
    head, _, last = name.rpartition(" ")
    return (head, last) if head and last in _SUFFIXES else (name, None)


def tenant_slug(domain: str) -> str:
    """The product-usage tenant id of a domain: ``acme.io`` → ``acme-io``."""
    return domain.lower().replace(".", "-")


def support_name(name: str, rng: Random) -> str:
    """The support desk's spelling: often upper-cased, suffix abbreviated with a dot."""
    base, suffix = split_suffix(name)
    short = _SHORT.get(suffix or "", suffix)
    options: list[Callable[[], str]] = [
        lambda: _join(base.upper(), short),
        lambda: _join(base, short),
        lambda: _join(base.split(" ")[0].upper() + base[len(base.split(" ")[0]) :], short),
    ]
    return rng.choice(options)()


def billing_name(name: str, rng: Random) -> str:
    """Billing's spelling: the legal form dropped or changed, ``&`` sometimes written out."""
    base, _ = split_suffix(name)
    options: list[Callable[[], str]] = [
        lambda: base,
        lambda: base.replace(" & ", " and "),
        lambda: f"{base} LLC",
        lambda: f"{base}, Inc".replace(" & ", " and "),
    ]
    return rng.choice(options)()


def contract_name(name: str, rng: Random) -> str:
    """The contract's party name: the full legal name, with a legal form if the CRM has none."""
    base, suffix = split_suffix(name)
    if suffix in ("GmbH", "AG", "SA", "LLP", "LLC"):
        return name
    return base + rng.choice(_LEGAL)


def _join(base: str, suffix: str | None) -> str:
    return f"{base} {suffix}" if suffix else base

"""What a model call costs in money: Anthropic's public prices per million tokens.

One table, per model: input, output, cache write (five-minute cache, the default of a
``cache_control`` marker) and cache read. Prices as published on Anthropic's pricing page
(https://platform.claude.com/docs/en/about-claude/pricing, checked December 2026); update them
here and only here. A model that is not in the table has no known price: its cost is None,
shown as unknown, never as 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Protocol

MILLION: Final = Decimal(1_000_000)


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal


def _price(input_usd: str, output_usd: str, write_usd: str, read_usd: str) -> Price:
    return Price(Decimal(input_usd), Decimal(output_usd), Decimal(write_usd), Decimal(read_usd))


PRICES: Final[dict[str, Price]] = {
    "claude-sonnet-4-5": _price("3", "15", "3.75", "0.30"),
    "claude-opus-4-5": _price("5", "25", "6.25", "0.50"),
    "claude-haiku-4-5": _price("1", "5", "1.25", "0.10"),
    "claude-opus-4-1": _price("15", "75", "18.75", "1.50"),
}
# A dated snapshot ("claude-sonnet-4-5-20250929") costs what its alias costs.
_SNAPSHOT = re.compile(r"-\d{8}$")


class Tokens(Protocol):
    """A call's token counts, as the Messages API reports them in ``usage``."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_creation_input_tokens(self) -> int: ...
    @property
    def cache_read_input_tokens(self) -> int: ...


def price_of(model: str) -> Price | None:
    """The model's price, or None when the table does not know it."""
    return PRICES.get(_SNAPSHOT.sub("", model.strip().lower()))


def cost_usd(model: str, tokens: Tokens) -> Decimal | None:
    """What one call cost, in dollars, or None when the model's price is unknown."""
    price = price_of(model)
    if price is None:
        return None
    total = (
        tokens.input_tokens * price.input
        + tokens.output_tokens * price.output
        + tokens.cache_creation_input_tokens * price.cache_write
        + tokens.cache_read_input_tokens * price.cache_read
    )
    return total / MILLION


def total_usd(costs: list[Decimal | None]) -> Decimal | None:
    """The sum of several calls' costs; unknown if any one of them is."""
    if any(cost is None for cost in costs):
        return None
    return sum((cost for cost in costs if cost is not None), Decimal(0))


def dollars(cost: Decimal | None) -> str:
    """A cost as people read it: ``$0.0123``, ``$1.50``, or ``unknown``."""
    if cost is None:
        return "unknown"
    return f"${cost:.2f}" if cost >= 1 else f"${cost:.4f}"

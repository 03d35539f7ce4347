"""The message asking an identity admin whether two records are one customer or person: both
records side by side, the fields that agreed and disagreed, the score, and Same / Different
buttons whose value is the review id alone. Once decided, the same message shows who decided
and when, without buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from slack_sdk.models.blocks import ButtonElement

from bot.render import kit
from bot.render.blocks import Rendering
from bot.render.mrkdwn import bold, plain
from connectors.resolution import Link, Record, Verdict

SAME: Final = "identity_review_same"
DIFFERENT: Final = "identity_review_different"
SAID: Final[dict[Verdict, str]] = {"same": "the same", "not_same": "different"}


@dataclass(frozen=True)
class Decided:
    """Who decided a review, when, and what."""

    verdict: Verdict
    by: str
    at: datetime


def review_rendering(
    review_id: int, left: Record, right: Record, link: Link, decided: Decided | None = None
) -> Rendering:
    """The review message; with ``decided``, its final state."""
    what = "customer" if left.kind == "company" else "person"
    title = f"Same {what}? {_name(left)} and {_name(right)}"
    agreed = [f"{e.field} ({e.level})" for e in link.evidence if e.weight > 0]
    disagreed = [f"{e.field} ({e.level})" for e in link.evidence if e.weight < 0]
    blocks = [
        kit.header(title),
        kit.fields([_card(left), _card(right)]),
        kit.context(
            f"Agreed: {plain(', '.join(agreed) or 'nothing')}",
            f"Disagreed: {plain(', '.join(disagreed) or 'nothing')}",
            f"Score: {link.probability:.0%}",
        ),
    ]
    if decided is None:
        value = str(review_id)
        blocks.append(kit.actions([_primary(kit.button("Same", SAME, value)), _different(value)]))
        return Rendering(f"Are {_name(left)} and {_name(right)} the same {what}?", blocks)
    line = f"{plain(decided.by)} decided at {decided.at:%H:%M} UTC: {SAID[decided.verdict]}."
    blocks.append(kit.context(line))
    text = f"{_name(left)} and {_name(right)}: {SAID[decided.verdict]} ({decided.by})."
    return Rendering(text, blocks)


def _primary(button: ButtonElement) -> ButtonElement:
    button.style = "primary"
    return button


def _different(value: str) -> ButtonElement:
    return kit.button("Different", DIFFERENT, value)


def _name(r: Record) -> str:
    return r.name or r.email or r.domain or r.record_id


def _card(r: Record) -> str:
    lines = [f"{bold(r.system)} · {plain(r.record_id)}", plain(r.name or "(no name)")]
    lines += [plain(v) for v in (r.email, r.domain) if v]
    return "\n".join(lines)

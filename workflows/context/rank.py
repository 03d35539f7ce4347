"""Which facts bear most on the objective, and which of them fit the budget.

Relevance is plain and explainable, no model: the objective's words found in a fact (its
field names and values) count most; a fact of a system or an operation the objective names
("invoices", "tickets", "renewal") next; a fact of a field the systems disagree on, or one
that says something is wrong (overdue, open, urgent, at risk), a little; and within one step
the records it gave first (each system's own order: soonest, latest, worst) slightly before
the later ones. A word of the objective finds the words it begins ("renew": "renewal"). The
budget then keeps the most relevant facts whose JSON fits, and counts the rest as dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from workflows.context.models import ContextFact

_STOPWORDS: Final = (
    "a about all an and any are as at be before brief briefing by call can customer customers "
    "do does for from get give has have how i in is it its me my of on or our prep show tell "
    "that the their them there they this to up us we what when where which who why will with "
    "you your"
)
STOPWORDS: Final = frozenset(_STOPWORDS.split())
ALARMS: Final = ("overdue", "open", "pending", "urgent", "p1", "p2", "risk", "late", "failed")
ALARM: Final = re.compile(rf"\b(?:{'|'.join(ALARMS)})\b")
WORD: Final = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    """The words of ``text`` that mean something (lower case, no stopwords), with a plural's
    singular too, so "invoices" finds "invoice"."""
    found = {w for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}
    return found | {w[:-1] for w in found if w.endswith("s") and len(w) > 3}


def relevance(
    fact: ContextFact,
    asked: Asked,
    step_words: set[str],
    disputed: set[str],
    position: int,
) -> float:
    """How much ``fact`` bears on an objective (its words ``asked``)."""
    text = " ".join(f"{k} {v}" for k, v in fact.fields.items()) + " " + fact.about
    text = text.replace("_", " ").lower()
    score = 3.0 * asked.found_in(text)
    score += 2.0 if asked.words & step_words else 0.0
    score += 1.5 * len(disputed & set(fact.fields))
    score += 1.0 if ALARM.search(text) else 0.0
    return round(score - min(position, 50) * 0.02, 3)


class Asked:
    """The objective's words, and a search for them in a text: a word of four letters or
    more finds the words it begins ("renew" finds "renewal"), a shorter one only itself."""

    def __init__(self, objective: str) -> None:
        self.words = words(objective)
        stems = sorted(w for w in self.words if len(w) >= 4)
        whole = sorted(w for w in self.words if len(w) < 4)
        parts = [rf"\b(?:{'|'.join(map(re.escape, stems))})"] if stems else []
        parts += [rf"\b(?:{'|'.join(map(re.escape, whole))})\b"] if whole else []
        self._search = re.compile("|".join(parts)) if parts else None

    def found_in(self, text: str) -> int:
        """How many of the words ``text`` holds."""
        if self._search is None:
            return 0
        return len({m.group(0) for m in self._search.finditer(text)})


def ranked(
    facts: Sequence[ContextFact],
    objective: str,
    step_words: Mapping[str, set[str]],
    disputed: Iterable[str],
) -> list[ContextFact]:
    """``facts`` with their relevance, in their original order."""
    asked = Asked(objective)
    fields = set(disputed)
    seen: dict[str, int] = {}
    out = []
    for fact in facts:
        position = seen.get(fact.step, 0)
        seen[fact.step] = position + 1
        score = relevance(fact, asked, step_words.get(fact.step, set()), fields, position)
        out.append(fact.model_copy(update={"relevance": score}))
    return out


def within(
    facts: Sequence[ContextFact], sizes: Sequence[int], chars: int
) -> tuple[list[int], list[int]]:
    """The indices of the facts that fit ``chars`` (most relevant first; ties: the earlier),
    and of those that did not, each in the facts' order; ``sizes`` are their sizes."""
    order = sorted(range(len(facts)), key=lambda i: (-facts[i].relevance, i))
    kept: set[int] = set()
    used = 0
    for i in order:
        if used + sizes[i] <= chars:
            kept.add(i)
            used += sizes[i]
    return sorted(kept), [i for i in range(len(facts)) if i not in kept]


__all__ = ["ranked", "relevance", "within", "words"]

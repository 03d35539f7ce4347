"""Reading the model's adaptation: done, or the steps it adds (checked as
:func:`workflows.planning.adaptation.added_steps` does), with its reason. A reply that does
not fit is refused, not sent back: the run finishes with what it has."""

from __future__ import annotations

from workflows.catalog import Catalog
from workflows.plan import Plan
from workflows.planning.adaptation import Adaptation, added_steps
from workflows.planning.adaptation_prompt import ADAPT_TOOL
from workflows.planning.claude_reply import Reply

REASON_CHARS = 500


def read_adaptation(reply: Reply, plan: Plan, catalog: Catalog) -> Adaptation:
    """The first call of the adaptation tool in ``reply``, judged (usage not yet filled)."""
    call = next((b for b in reply.tool_uses() if b.name == ADAPT_TOOL), None)
    if call is None:
        return Adaptation(kind="refused", reason=f"the model did not call {ADAPT_TOOL}")
    given = call.input if isinstance(call.input, dict) else {}
    reason = str(given.get("reason") or "").strip()[:REASON_CHARS]
    raw = given.get("steps")
    if given.get("done") is True and not raw:
        return Adaptation(kind="done", reason=reason or "the objective is met")
    if not raw:
        return Adaptation(kind="refused", reason="neither `done` nor `steps` was given")
    steps, problem = added_steps(raw, plan, catalog)
    if problem:
        return Adaptation(kind="refused", reason=f"refused: {problem}")
    return Adaptation(kind="steps", reason=reason or "more data needed", steps=steps)

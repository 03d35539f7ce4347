"""The briefing composer finds each system's part by the operation its step ran, not by the
step's id: a briefing plan as a model may write it (its own ids, another order, titles of its
own) gives the same briefing as the built-in plan, through the real engine over the demo
world."""

from __future__ import annotations

from pathlib import Path

from tests.workflows.free_form_env import DANA, free_form_env
from workflows.answers import Briefing
from workflows.library.briefing import briefing_plan
from workflows.plan import Plan, Step

READS = {
    "support_tickets": "support.open_tickets",
    "invoices_12m": "billing.list_invoices",
    "crm_record": "crm.get_account",
    "contract_terms": "contracts.get_contract",
    "mailbox": "email.recent_threads",
    "usage_trend": "usage.get_trend",
}


def model_plan(customer: str, *, leave_out: str = "") -> Plan:
    """A briefing plan with every step id renamed and the reads in another order."""
    found = "customer.account"
    reads = tuple(
        Step(id=step_id, operation=op, args={"account": {"$ref": found}}, when=found)
        for step_id, op in READS.items()
        if op != leave_out
    )
    resolve = Step(id="customer", operation="directory.resolve_account", args={"query": customer})
    return Plan(workflow="briefing", subject=customer, steps=(*reads, resolve))


def same(briefing: Briefing) -> Briefing:
    """The briefing without what differs from run to run."""
    return briefing.model_copy(update={"run_id": ""})


async def test_a_model_s_briefing_plan_with_its_own_step_ids_gives_the_same_briefing(
    tmp_path: Path,
) -> None:
    async with free_form_env(tmp_path) as env:
        built_in = (await env.ask(briefing_plan("Acme"), DANA)).answer
        renamed = (await env.ask(model_plan("Acme"), DANA)).answer
    assert isinstance(built_in, Briefing) and isinstance(renamed, Briefing)
    assert same(renamed) == same(built_in)
    # Not an empty likeness: every system answered, and the rules found Acme's risks.
    assert [s.status for s in renamed.sections] == ["ok"] * 6
    assert any("P1 ticket org-1042-t1" in c.text for c in renamed.concerns)
    assert any(c.sources == ("billing",) for c in renamed.concerns)


async def test_a_read_the_plan_left_out_is_a_section_not_asked(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        full = (await env.ask(model_plan("Acme"), DANA)).answer
        partial = (await env.ask(model_plan("Acme", leave_out="usage.get_trend"), DANA)).answer
    assert isinstance(full, Briefing) and isinstance(partial, Briefing)
    usage = next(s for s in partial.sections if s.key == "usage")
    assert (usage.status, usage.note) == ("skipped", "Product usage was not asked.")
    assert [s for s in partial.sections if s.key != "usage"] == [
        s for s in full.sections if s.key != "usage"
    ]
    assert not any(c.sources == ("usage",) for c in partial.concerns)


async def test_a_failed_read_under_another_id_costs_only_its_section(tmp_path: Path) -> None:
    async with free_form_env(tmp_path, faults="billing=error") as env:
        asked = await env.ask(model_plan("Acme"), DANA)
    briefing = asked.answer
    assert asked.steps["invoices_12m"].status == "failed"
    assert isinstance(briefing, Briefing)
    billing = next(s for s in briefing.sections if s.key == "billing")
    assert billing.status == "unavailable"
    assert billing.note.startswith("Billing could not be reached (")
    assert [s.status for s in briefing.sections if s.key != "billing"] == ["ok"] * 5
    assert not any("billing" in c.sources for c in briefing.concerns)


async def test_an_unknown_customer_under_another_id_is_a_notice(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        answer = (await env.ask(model_plan("Globex Industries"), DANA)).answer
    assert answer.kind == "notice"
    assert answer.model_dump()["reason"] == "unknown_customer"

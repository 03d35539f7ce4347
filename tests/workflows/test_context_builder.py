"""The context builder over real step outputs: the demo world's systems read by the real
engine for one customer, gathered into one typed context, the fields two systems disagree on
settled by precedence, facts ranked by the objective and cut to a budget with what was left out
counted, and nothing of a system the requester may not read. The free-form answer written from
templates says which source won and that another disagrees, as the briefing does."""

from __future__ import annotations

from pathlib import Path

from connectors.access import AccessPolicy, Principals
from connectors.demo import open_demo_world
from connectors.demo.org import DemoOrg
from tests.workflows.free_form_env import DANA, Asked, FreeFormEnv, free_form_env
from workflows.context import Budget, EntityContext, build_context, disagreements
from workflows.library.answer import WORKFLOW
from workflows.library.briefing_truth import default_precedence
from workflows.plan import Plan, Step

READS = (
    ("crm", "crm.get_account"),
    ("contracts", "contracts.get_contract"),
    ("support", "support.open_tickets"),
    ("billing", "billing.list_invoices"),
    ("email", "email.recent_threads"),
)


def customer_plan(name: str, *, last: str = "crm") -> Plan:
    """What a model plans for a question about one customer: find it, read each system."""
    account = {"account": {"$ref": "account.account"}}
    reads = [Step(id=i, operation=op, args=account) for i, op in READS if i != last]
    final = next(Step(id=i, operation=op, args=account) for i, op in READS if i == last)
    resolve = Step(id="account", operation="directory.resolve_account", args={"query": name})
    return Plan(workflow=WORKFLOW, subject=name, steps=(resolve, *reads, final))


async def asked(env: FreeFormEnv, name: str, text: str) -> Asked:
    return await env.ask(customer_plan(name), DANA, text)


async def test_quantum_freight_s_renewal_date_is_the_contract_s_and_the_crm_disagrees(
    tmp_path: Path,
) -> None:
    async with free_form_env(tmp_path) as env:
        run = await asked(env, "Quantum Freight", "when does Quantum Freight renew?")
    labels = {"crm": "CRM", "contracts": "Contracts", "support": "Support desk"}
    plan = customer_plan("Quantum Freight")
    context = build_context(
        "when does Quantum Freight renew?", DANA, plan, run.steps, labels, default_precedence()
    )
    assert context.entity is not None and context.entity.name == "Quantum Freight Inc."
    assert context.entity.records["contracts"].startswith("CTR-")
    settled = {s.field: s for s in context.settled}
    renewal = settled["renewal_date"]
    assert (renewal.winner.system, [d.system for d in renewal.dissent]) == ("contracts", ["crm"])
    assert renewal.winner.step == "contracts" and renewal.dissent[0].step == "crm"
    assert renewal.note.startswith(f"Contracts says {renewal.winner.value}; CRM disagrees: ")
    assert not settled["phone"].disputed  # the CRM and the support desk agree on its phone
    systems = {s.system: s for s in context.systems}
    assert set(systems) == {"directory", "crm", "contracts", "support", "billing", "email"}
    assert systems["contracts"].record == context.entity.records["contracts"]
    assert context.dropped.facts == 0 and context.used_chars <= context.budget_chars
    # The facts that bear on a renewal come first in relevance.
    best = max(context.facts(), key=lambda f: f.relevance)
    assert "renewal_date" in best.fields


async def test_a_small_budget_keeps_the_most_relevant_facts_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    async with free_form_env(tmp_path) as env:
        run = await asked(env, "Quantum Freight", "any overdue invoices at Quantum Freight?")
    plan = customer_plan("Quantum Freight")
    whole = build_context("any overdue invoices?", DANA, plan, run.steps, {}, default_precedence())
    small = build_context(
        "any overdue invoices?",
        DANA,
        plan,
        run.steps,
        {},
        default_precedence(),
        budget=Budget.tokens(150),
    )
    assert small.budget_chars == 600 and small.used_chars <= 600
    assert small.dropped.facts == len(whole.facts()) - len(small.facts()) > 0
    assert sum(small.dropped.by_system.values()) == small.dropped.facts
    assert small.dropped.chars + small.used_chars == whole.used_chars
    kept = small.facts()
    ranked = sorted(whole.facts(), key=lambda f: -f.relevance)
    assert ranked[0].step == "billing" and ranked[0] in kept  # invoices are what was asked
    room = small.budget_chars - small.used_chars
    for fact in ranked:  # a more relevant fact is left out only when it did not fit
        if fact not in kept and fact.relevance > min(k.relevance for k in kept):
            assert fact.size() + 1 > room
    assert small.settled == whole.settled  # settled fields are never cut


class OnlyCrm:
    """A requester who may read the CRM and nothing else."""

    def may_read(self, account_id: str | None, system: str) -> bool:
        return system in ("crm", "directory")


async def test_what_the_requester_may_not_read_stays_out_of_the_context(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        run = await asked(env, "Quantum Freight", "brief me on Quantum Freight")
    plan = customer_plan("Quantum Freight")
    context = build_context(
        "brief me", DANA, plan, run.steps, {}, default_precedence(), sight=OnlyCrm()
    )
    assert {s.system for s in context.systems} == {"directory", "crm"}
    gaps = {g.system: g.status for g in context.gaps}
    assert gaps == dict.fromkeys(("contracts", "support", "billing", "email"), "not_permitted")
    assert context.settled == ()  # one system alone settles nothing
    assert context.entity is not None and set(context.entity.records) == {"crm"}
    assert "CTR-" not in context.model_dump_json()  # not even the contract's id


async def test_a_template_answer_says_which_source_won_and_that_another_disagrees(
    tmp_path: Path,
) -> None:
    async with free_form_env(tmp_path) as env:
        quantum = await asked(env, "Quantum Freight", "when does Quantum Freight renew?")
        northgate = await asked(env, "Northgate", "what is Northgate's phone number?")
    renewal = [f for f in quantum.free_form.context if f.text.startswith("Renewal date: ")]
    assert len(renewal) == 1 and renewal[0].source == "Contracts" and renewal[0].step == "contracts"
    assert "(Contracts; CRM disagrees: " in renewal[0].text
    phone = [f for f in northgate.free_form.context if f.text.startswith("Phone: ")]
    assert len(phone) == 1 and "(CRM; Support desk disagrees: +19075550113)" in phone[0].text
    plan = customer_plan("Quantum Freight")
    labels = {"crm": "CRM", "contracts": "Contracts"}
    [disputed] = disagreements(plan, quantum.steps, labels, default_precedence())
    assert disputed.field == "renewal_date"


async def test_the_access_layer_s_principal_keeps_other_reps_accounts_out(tmp_path: Path) -> None:
    """A list across accounts read without the access layer, then built into a context with
    Dana's principal as its sight: only her territory's records are left."""
    overdue = Plan(
        workflow=WORKFLOW,
        subject="Overdue invoices",
        steps=(Step(id="overdue", operation="billing.overdue_invoices", args={"limit": 200}),),
    )
    async with free_form_env(tmp_path) as env:
        run = await env.ask(overdue, DANA, "which invoices are overdue?")
        clock = env.clock
    world = await open_demo_world(tmp_path / "demo.sqlite", clock=clock)
    try:
        principal = await Principals(DemoOrg(world), AccessPolicy.load(), clock).of(DANA)
    finally:
        await world.close()
    every = build_context("overdue?", DANA, overdue, run.steps, {}, default_precedence())
    hers = build_context(
        "overdue?", DANA, overdue, run.steps, {}, default_precedence(), sight=principal
    )

    def accounts(context: EntityContext) -> set[str]:
        return {
            str(f.fields["account_id"]) for f in context.facts() if f.about.endswith(".account")
        }

    assert accounts(hers) and accounts(hers) <= principal.territory
    assert accounts(every) - principal.territory  # other reps' customers were in the output

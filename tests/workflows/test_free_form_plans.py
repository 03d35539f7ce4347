"""A free-form objective answered by a plan over list and data operations, as a model would
write it, run by the real engine (DBOS, SQLite audit) over the demo world at a fixed moment
and answered by the free-form composer: "which of my accounts have an overdue invoice and a
P1 open?"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.workflows.free_form_env import DANA, LEAH, free_form_env
from workflows.answers import SourcedFact
from workflows.library.answer import WORKFLOW
from workflows.plan import Plan, Step

QUESTION = "which of my accounts have an overdue invoice and a P1 open?"


def overdue_and_p1_plan(requester_email: str) -> Plan:
    """The plan a model would make: three lists, two joins on the account, and each found
    account's contract."""

    def ref(path: str) -> dict[str, str]:
        return {"$ref": path}

    key = "account.account_id"
    return Plan(
        workflow=WORKFLOW,
        subject="Accounts with an overdue invoice and an open P1",
        steps=(
            Step(
                id="mine",
                operation="crm.list_accounts",
                args={"owner_email": requester_email, "limit": 200},
            ),
            Step(id="overdue", operation="billing.overdue_invoices", args={"limit": 200}),
            Step(
                id="p1s",
                operation="support.list_tickets",
                args={"priority": "P1", "status": "open", "limit": 200},
            ),
            Step(
                id="mine_overdue",
                operation="data.join",
                args={
                    "left": ref("mine.accounts"),
                    "right": ref("overdue.invoices"),
                    "key": key,
                    "into": "overdue_invoices",
                },
            ),
            Step(
                id="answer",
                operation="data.join",
                args={
                    "left": ref("mine_overdue.records"),
                    "right": ref("p1s.tickets"),
                    "key": key,
                    "into": "p1_tickets",
                },
            ),
            # A listed record's account goes as is to a per-account read.
            Step(
                id="contracts",
                operation="contracts.get_contract",
                for_each="answer.records",
                args={"account": {"$item": "account"}},
            ),
        ),
    )


def names(records: list[dict[str, Any]]) -> set[str]:
    return {r["account"]["name"] for r in records}


def cited(fact: SourcedFact) -> tuple[str, str]:
    return fact.step, fact.source


async def test_dana_s_accounts_with_an_overdue_invoice_and_a_p1_are_acme(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        dana = await env.ask(overdue_and_p1_plan(DANA), DANA, QUESTION)
    steps = dana.steps
    assert {r.status for r in steps.values()} == {"ok"}
    acme = steps["answer"].output["records"][0]
    assert [r["account"]["name"] for r in steps["answer"].output["records"]] == ["Acme Corporation"]
    assert [i["number"] for i in acme["overdue_invoices"]] == ["INV-000101"]
    assert [t["id"] for t in acme["p1_tickets"]] == ["org-1042-t1"]
    assert acme["owner_email"] == DANA
    assert [c["contract"]["id"] for c in steps["contracts"].output] == ["CTR-ACME-0001"]
    assert steps["mine"].output["total"] > 3  # Dana owns more than Acme
    assert len(steps["overdue"].output["invoices"]) > 1  # and Acme is not the only debtor

    answer = dana.free_form
    assert (answer.status, answer.total, answer.missing) == ("complete", 1, ())
    assert answer.summary == "Found 1: Acme Corporation."
    [found] = answer.findings
    assert found.title == "Acme Corporation"
    by_record = {f.record: f for f in found.facts}
    # Each fact cites the step that read it and that system, not the join that carried it.
    assert cited(by_record["acct-0001"]) == ("mine", "CRM")
    assert "Owner Dana Reyes" in by_record["acct-0001"].text
    invoice = by_record["INV-000101"]
    assert cited(invoice) == ("overdue", "Billing")
    assert invoice.text == "Overdue: INV-000101, $20,000, due Feb 14 (16 days late)"
    ticket = by_record["org-1042-t1"]
    assert cited(ticket) == ("p1s", "Support desk")
    assert ticket.text.startswith("P1 org-1042-t1 “API requests timing out in EU region”: open")
    assert cited(by_record["CTR-ACME-0001"]) == ("contracts", "Contracts")
    # The lists it was drawn from are context, each citing its own step.
    context = {f.step: f for f in answer.context}
    assert set(context) == {"mine", "overdue", "p1s"}
    assert context["p1s"].text == "1 ticket (priority P1, status open)"
    assert context["mine"].source == "CRM"


async def test_the_progress_shows_the_systems_read_and_not_the_engine_s_data_steps(
    tmp_path: Path,
) -> None:
    async with free_form_env(tmp_path) as env:
        await env.ask(overdue_and_p1_plan(DANA), DANA, QUESTION)
        [started] = env.reporter.started_with
        last = env.reporter.updates[-1]
    shown = [s.label for s in started.systems]
    assert shown == ["CRM", "Billing", "Support desk", "Contracts"]
    assert [s.state for s in last.systems] == ["ok"] * 4


async def test_overdue_accounts_without_a_p1_drop_out_at_the_second_join(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        leah = await env.ask(overdue_and_p1_plan(LEAH), LEAH, QUESTION)
    steps = {k: r.output for k, r in leah.steps.items()}
    assert {r.status for r in leah.steps.values()} == {"ok"}
    hers = names(steps["mine"]["accounts"])
    owing = names(steps["overdue"]["invoices"])
    assert hers & owing  # Leah has accounts with overdue invoices...
    assert names(steps["mine_overdue"]["records"]) == hers & owing
    assert not names(steps["p1s"]["tickets"]) & hers  # ...but none with a P1
    assert steps["answer"] == {"records": [], "count": 0}
    assert steps["contracts"] == []
    answer = leah.free_form
    assert (answer.status, answer.summary, answer.findings) == ("complete", "Nothing matched.", ())


async def test_a_system_that_is_down_is_named_as_missing_and_the_answer_says_so(
    tmp_path: Path,
) -> None:
    async with free_form_env(tmp_path, faults="support=error") as env:
        dana = await env.ask(overdue_and_p1_plan(DANA), DANA, QUESTION)
    assert dana.steps["p1s"].status == "failed"
    assert dana.steps["answer"].status == "skipped"
    answer = dana.free_form
    assert (answer.status, answer.findings) == ("unavailable", ())
    [missing] = answer.missing
    assert (missing.step, missing.source) == ("p1s", "Support desk")
    assert missing.reason == "could not be reached (The support desk is not responding (503))"
    assert answer.summary.startswith("I could not answer this: Support desk could not be reached")
    assert answer.summary.endswith("and the answer needs it (step p1s).")
    # What did answer is still shown, with its sources.
    assert {f.step for f in answer.context} == {"mine", "overdue"}


async def test_a_misspelt_field_fails_its_step_once_with_a_message_a_model_can_act_on(
    tmp_path: Path,
) -> None:
    plan = Plan(
        workflow=WORKFLOW,
        subject="Acme's overdue invoices",
        steps=(
            Step(id="overdue", operation="billing.overdue_invoices", args={}),
            Step(
                id="big",
                operation="data.filter",
                args={
                    "records": {"$ref": "overdue.invoices"},
                    "field": "acount.name",
                    "value": "Acme Corporation",
                },
            ),
            Step(
                id="listed",
                operation="data.filter",
                args={"records": {"$ref": "overdue"}, "field": "number", "op": "in", "value": []},
            ),
        ),
    )
    async with free_form_env(tmp_path) as env:
        asked = await env.ask(plan, DANA)
    result = asked.steps
    assert result["overdue"].status == "ok"
    big = result["big"]
    assert (big.status, big.failure, big.attempts) == ("failed", "permanent", 1)
    assert "no field 'acount.name'" in str(big.error)
    assert "did you mean 'account'" in str(big.error)
    listed = result["listed"]
    assert (listed.status, listed.failure) == ("failed", "permanent")
    assert "not an object (it has the list(s) invoices" in str(listed.error)
    answer = asked.free_form
    assert [(m.step, m.source) for m in answer.missing] == [("big", "Data"), ("listed", "Data")]
    assert answer.missing[0].reason.startswith("refused the request (")
    assert answer.status == "unavailable"

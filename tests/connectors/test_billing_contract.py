"""One contract for every implementation of the billing operations: the demo world's and
Stripe's (against the Stripe stand-in, seeded from the same world). A plan must not be able to
tell which billing is connected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.errors import RecordNotFound
from tests.connectors.stripe_env import Billing, billing
from workflows.catalog import CallContext

IMPLEMENTATIONS = ["demo", "stripe"]
CTX = CallContext(
    run_id="run-7", step_id="discount", requester_email="dana.reyes@northwind.example"
)


async def call(b: Billing, name: str, args: dict[str, Any], ctx: CallContext = CTX) -> Any:
    op = b.operations[name]
    output: BaseModel = await op.handler(op.input_model.model_validate(args), ctx)
    return output.model_dump(mode="json")


def acme(b: Billing) -> dict[str, Any]:
    resolution = b.directory.resolve_account("Acme")
    assert resolution.account is not None
    return resolution.account.model_dump(mode="json")


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_the_same_operations_with_the_same_contracts(name: str, tmp_path: Path) -> None:
    async with billing(name, tmp_path) as b:
        described = {n: op.describe() for n, op in b.operations.items()}
        risks = {n: (op.access, op.risk.value, op.undo) for n, op in b.operations.items()}
    assert set(described) == {
        "billing.list_invoices", "billing.overdue_invoices",
        "billing.apply_discount", "billing.remove_discount",
    }  # fmt: skip
    assert risks["billing.apply_discount"] == ("write", "high", "billing.remove_discount")
    assert risks["billing.list_invoices"] == ("read", "low", None)


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_a_customers_invoices_newest_first_with_their_status(
    name: str, tmp_path: Path
) -> None:
    async with billing(name, tmp_path) as b:
        got = await call(b, "billing.list_invoices", {"account": acme(b)})
    invoices = got["invoices"]
    assert invoices, "Acme has invoices"
    assert [i["issued_on"] for i in invoices] == sorted(
        (i["issued_on"] for i in invoices), reverse=True
    )
    assert {i["status"] for i in invoices} <= {"paid", "open", "overdue"}
    assert "overdue" in {i["status"] for i in invoices}
    assert {i["currency"] for i in invoices} == {"USD"}


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_overdue_invoices_most_overdue_first_paged_with_one_total(
    name: str, tmp_path: Path
) -> None:
    async with billing(name, tmp_path) as b:
        everything = await call(b, "billing.overdue_invoices", {"limit": 200})
        first = await call(b, "billing.overdue_invoices", {"limit": 2})
        second = await call(b, "billing.overdue_invoices", {"limit": 2, "offset": 2})
    rows = everything["invoices"]
    assert rows and [r["due_on"] for r in rows] == sorted(r["due_on"] for r in rows)
    assert all(r["days_overdue"] >= 1 and r["account"] for r in rows)
    assert first["invoices"] + second["invoices"] == rows[:4]
    assert first["total"] == everything["total"] == len(rows)
    assert first["total_amount"] == round(sum(r["amount"] for r in rows), 2)


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_an_unknown_account_is_said_plainly(name: str, tmp_path: Path) -> None:
    async with billing(name, tmp_path) as b:
        with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
            await call(b, "billing.overdue_invoices", {"account_id": "acct-9999"})


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_a_discount_applies_once_and_is_undone_once(name: str, tmp_path: Path) -> None:
    async with billing(name, tmp_path) as b:
        account_id = acme(b)["account_id"]
        args = {"account_id": account_id, "percent": 10, "reason": "renewal goodwill"}
        applied = await call(b, "billing.apply_discount", args)
        again = await call(b, "billing.apply_discount", args)  # a retry of the same step
        undone = await call(b, "billing.remove_discount", applied)
        later = CallContext(run_id="run-8", step_id="undo", requester_email=CTX.requester_email)
        twice = await call(b, "billing.remove_discount", applied, later)  # nothing left
    assert again["discount_id"] == applied["discount_id"]
    assert (applied["percent"], applied["reason"]) == (10, "renewal goodwill")
    assert (undone["undone"], twice["undone"]) == (True, False)


async def test_both_implementations_answer_alike(tmp_path: Path) -> None:
    answers, declared = [], []
    for name in IMPLEMENTATIONS:
        async with billing(name, tmp_path / name) as b:
            declared.append({n: (op.describe(), op.undo) for n, op in b.operations.items()})
            answers.append((
                await call(b, "billing.list_invoices", {"account": acme(b)}),
                await call(b, "billing.overdue_invoices", {"limit": 200}),
            ))  # fmt: skip
    assert declared[0] == declared[1]  # what a planner and the policy read
    assert answers[0] == answers[1]

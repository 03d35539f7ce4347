"""One contract for every implementation of the support operations: the demo world's and
Zendesk's (against the Zendesk stand-in, seeded from the same world). A plan must not be able
to tell which support desk is connected; long lists are read cursor page after cursor page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.errors import RecordNotFound
from connectors.zendesk.standin import ZendeskStandIn
from tests.connectors.demo_env import NOW
from tests.connectors.vendor_env import System, system
from workflows.catalog import CallContext

IMPLEMENTATIONS = ["demo", "zendesk"]
CTX = CallContext(run_id="run-7", step_id="tickets", requester_email="dana.reyes@northwind.example")


async def call(s: System, name: str, args: dict[str, Any]) -> Any:
    op = s.operations[name]
    output: BaseModel = await op.handler(op.input_model.model_validate(args), CTX)
    return output.model_dump(mode="json")


def acme(s: System) -> dict[str, Any]:
    resolution = s.directory.resolve_account("Acme")
    assert resolution.account is not None
    return resolution.account.model_dump(mode="json")


async def test_the_same_operations_with_the_same_contracts(tmp_path: Path) -> None:
    declared = []
    for name in IMPLEMENTATIONS:
        async with system("support", name, tmp_path / name) as s:
            declared.append({n: (op.describe(), op.undo) for n, op in s.operations.items()})
    assert set(declared[1]) == {"support.open_tickets", "support.list_tickets"}
    assert declared[0] == declared[1]


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_a_customers_open_tickets_p1_first_then_oldest(name: str, tmp_path: Path) -> None:
    async with system("support", name, tmp_path) as s:
        got = (await call(s, "support.open_tickets", {"account": acme(s)}))["tickets"]
        none = await call(s, "support.open_tickets", {"account": {**acme(s), "links": {}}})
    assert got and {t["status"] for t in got} <= {"open", "pending"}
    assert [(t["priority"], t["opened_at"]) for t in got] == sorted(
        (t["priority"], t["opened_at"]) for t in got
    )
    assert all("@" in t["requester_email"] for t in got)
    assert none["tickets"] == []


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_tickets_across_customers_filtered_and_paged(name: str, tmp_path: Path) -> None:
    async with system("support", name, tmp_path) as s:
        everything = await call(s, "support.list_tickets", {"status": "unsolved", "limit": 200})
        first = await call(s, "support.list_tickets", {"status": "unsolved", "limit": 2})
        second = await call(s, "support.list_tickets",
                            {"status": "unsolved", "limit": 2, "offset": 2})  # fmt: skip
        old = await call(s, "support.list_tickets", {"min_age_days": 7, "limit": 200})
        p1 = await call(s, "support.list_tickets", {"priority": "P1", "account_id":
                                                    acme(s)["account_id"]})  # fmt: skip
        with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
            await call(s, "support.list_tickets", {"account_id": "acct-9999"})
    rows = everything["tickets"]
    assert rows and all(r["status"] in ("open", "pending") and r["account"] for r in rows)
    assert first["tickets"] + second["tickets"] == rows[:4]
    assert first["total"] == everything["total"] == len(rows)
    assert all(r["age_days"] >= 7 for r in old["tickets"])
    assert all(t["priority"] == "P1" for t in p1["tickets"])


async def test_both_implementations_answer_alike(tmp_path: Path) -> None:
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("support", name, tmp_path / name) as s:
            answers.append((
                await call(s, "support.open_tickets", {"account": acme(s)}),
                await call(s, "support.list_tickets", {"limit": 200}),
                await call(s, "support.list_tickets", {"status": "solved", "limit": 200}),
            ))  # fmt: skip
    assert answers[0] == answers[1]


async def test_a_long_list_is_read_cursor_page_after_page(tmp_path: Path) -> None:
    async with system("support", "zendesk", tmp_path) as s:
        assert isinstance(s.standin, ZendeskStandIn)
        org = acme(s)["links"]["support"]
        for n in range(230):
            opened = NOW - timedelta(days=1, minutes=n)
            s.standin.add_ticket(f"ZD-{n:04d}", org, f"Question {n}", "P4", "open", opened,
                                 f"user{n}@acme.example")  # fmt: skip
        got = (await call(s, "support.open_tickets", {"account": acme(s)}))["tickets"]
        pages = [x.query for x in s.standin.seen if x.path.endswith("/tickets.json")]
    ids = [t["id"] for t in got]
    assert sum(i.startswith("ZD-") for i in ids) == 230 and len(ids) == len(set(ids))
    assert len(pages) == 3 and "page[after]" not in pages[0]
    assert all(p["page[size]"] == "100" and p["page[after]"] for p in pages[1:])

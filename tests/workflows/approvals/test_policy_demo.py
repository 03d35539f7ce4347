"""The packaged policy against the demo world's own catalog and directory: the webinar
follow-up's emails wait for Rachel Kim, its CRM activities do not, and an account another rep
owns goes to that rep."""

from __future__ import annotations

from connectors.identity import IdentityDirectory
from workflows.approvals.policy import ApprovalPolicy
from workflows.catalog import Catalog
from workflows.models import Principal

POLICY = ApprovalPolicy.load()
DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes")
RACHEL = "rachel.kim@northwind.example"


def test_the_demo_writes_under_the_packaged_policy(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    directory, catalog = world
    dana_owns = [a for a in directory.accounts() if _owner(directory, a.account_id) == DANA.email]
    other = next(
        a for a in directory.accounts() if _owner(directory, a.account_id) not in (None, DANA.email)
    )
    mine = {"to": "ana@prospect.example", "subject": "Hi", "body": "Hello"}
    calls = [mine | {"account_id": dana_owns[0].account_id}, mine]
    gate = POLICY.gate(catalog.get("email.send"), calls, DANA, directory)
    assert (gate.required, gate.rule, gate.approvers) == (True, "customer-email", (RACHEL,))

    theirs = POLICY.gate(
        catalog.get("email.send"), [mine | {"account_id": other.account_id}], DANA, directory
    )
    assert theirs.approvers == (_owner(directory, other.account_id),)

    for name in ("crm.log_activity", "crm.update_field", "tasks.create", "calendar.create_hold"):
        assert not POLICY.gate(catalog.get(name), [{}], DANA, directory).required, name
    for name in ("billing.apply_discount", "contracts.amend"):
        decided = POLICY.gate(catalog.get(name), [{}], DANA, directory)
        assert decided.required and decided.approvers == (RACHEL,), name
    undos = {op.undo for op in catalog if op.undo}
    for name in sorted(undos):
        assert POLICY.gate(catalog.get(name), [{}], DANA, directory).rule == "compensation", name


def _owner(directory: IdentityDirectory, account_id: str) -> str | None:
    owner = directory.account_owner(account_id)
    return owner.email if owner else None

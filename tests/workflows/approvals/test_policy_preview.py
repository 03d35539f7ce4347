"""What a plan preview says of each write before its calls are known: the packaged policy,
foreseen on the demo world's catalog and directory; and the preview's rule name is reserved."""

from __future__ import annotations

import pytest

from connectors.identity import IdentityDirectory
from workflows.approvals.models import PREVIEW_RULE
from workflows.approvals.policy import ApprovalPolicy, PolicyError
from workflows.catalog import Catalog
from workflows.models import Principal

POLICY = ApprovalPolicy.load()
DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes")
RACHEL = "rachel.kim@northwind.example"


def test_each_demo_write_is_foreseen_as_the_policy_would_gate_it(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    directory, catalog = world
    email = POLICY.foresee(catalog.get("email.send"), DANA, directory)
    assert (email.required, email.rule, email.approvers) == (True, "customer-email", (RACHEL,))
    assert email.why == "Emails to customers and prospects need a manager's approval"
    for name in ("crm.log_activity", "crm.update_field", "tasks.create", "calendar.create_hold"):
        foreseen = POLICY.foresee(catalog.get(name), DANA, directory)
        assert not foreseen.required and foreseen.rule == "routine-update", name
    for name in ("billing.apply_discount", "contracts.amend"):
        foreseen = POLICY.foresee(catalog.get(name), DANA, directory)
        assert foreseen.required and foreseen.approvers == (RACHEL,), name
    read = POLICY.foresee(catalog.get("crm.find_contacts"), DANA, directory)
    assert not read.required


def test_a_policy_file_may_not_name_a_rule_as_the_preview() -> None:
    text = f'[[rule]]\nname = "{PREVIEW_RULE}"\napproval = false\nwhy = "No"\n'
    with pytest.raises(PolicyError, match=f"the rule name '{PREVIEW_RULE}' is Crosswire's own"):
        ApprovalPolicy.parse(text, source="policy file x.toml")

"""The approval policy: the demo defaults, who approves, self-approval, escalation, and a
policy file that cannot be used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import (
    DANA,
    MARCUS,
    RACHEL,
    VICTOR,
    OrgChart,
    an_approval,
    email_of,
    principal,
)
from workflows.approvals.policy import ApprovalPolicy, PolicyError
from workflows.catalog import AnyOperation, CallContext, Operation, Risk

POLICY = ApprovalPolicy.load()


class Args(BaseModel):
    pass


async def _handler(data: Args, ctx: CallContext) -> Args:
    return data


def op(name: str, *, access: str = "write", risk: Risk = Risk.LOW) -> AnyOperation:
    return Operation(
        name=name,
        system=name.split(".")[0],
        description=name,
        input_model=Args,
        output_model=Args,
        handler=_handler,
        access="read" if access == "read" else "write",
        risk=risk,
        reversible=False,
    )


def email(to: str, account_id: str | None = None) -> dict[str, Any]:
    call = {"to": to, "subject": "Hi", "body": "Hello"}
    return call | ({"account_id": account_id} if account_id else {})


@pytest.mark.parametrize(
    ("name", "risk", "calls", "required", "rule"),
    [
        ("email.send", Risk.HIGH, [email("ana@acme.io")], True, "customer-email"),
        ("email.send", Risk.HIGH, [email(RACHEL)], False, "internal-email"),
        ("billing.apply_discount", Risk.HIGH, [{}], True, "discount"),
        ("contracts.amend", Risk.HIGH, [{}], True, "contract-change"),
        ("crm.log_activity", Risk.LOW, [{}], False, "routine-update"),
        ("crm.update_field", Risk.MEDIUM, [{}], False, "routine-update"),
        ("tasks.create", Risk.LOW, [{}], False, "routine-update"),
        ("calendar.create_hold", Risk.LOW, [{}], False, "routine-update"),
        ("billing.remove_discount", Risk.HIGH, [{}], False, "compensation"),
        ("crm.remove_activity", Risk.LOW, [{}], False, "compensation"),
        ("payments.refund", Risk.HIGH, [{}], True, "unmatched-high-risk"),
        ("wiki.edit", Risk.MEDIUM, [{}], False, "unmatched-write"),
    ],
)
def test_demo_defaults(
    name: str, risk: Risk, calls: list[dict[str, Any]], required: bool, rule: str
) -> None:
    gate = POLICY.gate(op(name, risk=risk), calls, principal(DANA), OrgChart())
    assert (gate.required, gate.rule) == (required, rule)
    assert gate.approvers == ((RACHEL,) if required else ())
    assert gate.why


def test_reads_never_wait() -> None:
    gate = POLICY.gate(
        op("crm.get_account", access="read", risk=Risk.HIGH), [{}], principal(DANA), OrgChart()
    )
    assert (gate.required, gate.rule) == (False, "read")


def test_an_account_the_requester_does_not_own_is_approved_by_its_owner() -> None:
    people = OrgChart(owners={"acc-acme": MARCUS, "acc-own": DANA})
    calls = [email("a@acme.io", "acc-acme"), email("b@own.io", "acc-own"), email("c@new.io")]
    gate = POLICY.gate(op("email.send", risk=Risk.HIGH), calls, principal(DANA), people)
    assert gate.approvers == (MARCUS, RACHEL)
    assert gate.why == "Emails to customers and prospects need a manager's approval"


def test_nobody_approves_their_own_request_the_next_manager_up_does() -> None:
    people = OrgChart(owners={"acc-acme": DANA})
    gate = POLICY.gate(
        op("email.send", risk=Risk.HIGH),
        [email("a@acme.io", "acc-acme")],
        principal(RACHEL),
        people,
    )
    assert gate.approvers == (DANA,)
    own = POLICY.gate(
        op("email.send", risk=Risk.HIGH), [email("a@x.io")], principal(RACHEL), people
    )
    assert own.approvers == (VICTOR,)
    top = POLICY.gate(
        op("email.send", risk=Risk.HIGH), [email("a@x.io")], principal(VICTOR), people
    )
    assert top.required and top.approvers == ()
    assert "nobody in the directory" in top.why


def test_named_approvers_and_self_approval(tmp_path: Path) -> None:
    omar = email_of("Omar Haddad")
    path = tmp_path / "policy.toml"
    path.write_text(
        f"""
[[rule]]
name = "finance"
operations = ["billing.*"]
approval = true
approvers = ["{omar}"]
why = "Finance approves billing changes"

[[rule]]
name = "trusted"
risk = ["medium"]
approval = true
allow_self_approval = true
approvers = ["{DANA}"]
why = "Dana may approve her own"
"""
    )
    policy = ApprovalPolicy.load(path)
    billing = op("billing.apply_discount", risk=Risk.HIGH)
    assert policy.gate(billing, [{}], principal(DANA), OrgChart()).approvers == (omar,)
    # Omar's own request goes to his manager.
    assert policy.gate(billing, [{}], principal(omar), OrgChart()).approvers == (VICTOR,)
    medium = op("crm.update_field", risk=Risk.MEDIUM)
    assert policy.gate(medium, [{}], principal(DANA), OrgChart()).approvers == (DANA,)
    approval = an_approval(created=START, approvers=(DANA,)).model_copy(update={"rule": "trusted"})
    assert policy.may_decide(approval, DANA) is None


def test_who_may_decide() -> None:
    approval = an_approval(created=START, approvers=(RACHEL,))
    assert POLICY.may_decide(approval, "Rachel.Kim@northwind.example") is None
    assert (
        POLICY.may_decide(approval, DANA) == "You asked for this, so someone else must approve it."
    )
    assert POLICY.may_decide(approval, MARCUS, OrgChart()) == "Only Rachel Kim can approve this."
    wider = approval.model_copy(update={"approvers": (RACHEL, VICTOR)})
    assert POLICY.may_decide(wider, MARCUS, OrgChart()) == (
        "Only Rachel Kim or Victor Alvarez can approve this."
    )


def test_escalation_goes_one_manager_up() -> None:
    approval = an_approval(created=START, approvers=(RACHEL,))
    assert POLICY.escalation(approval, OrgChart()) == (VICTOR,)
    at_top = approval.model_copy(update={"approvers": (RACHEL, VICTOR)})
    assert POLICY.escalation(at_top, OrgChart()) == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[rule]\nname = 'x'", "not valid TOML"),
        ("[[rule]]\nname = 'x'\nwhy = 'y'", "rule 1 (x): approval: Field required"),
        ("[[rule]]\nname = 'x'\napproval = true\nwhy = 'y'\nrisk = ['huge']", "rule 1 (x): risk"),
        (
            "[[rule]]\nname = 'x'\napproval = true\nwhy = 'y'\napprovers = ['nobody']",
            "rule 1 (x): approvers",
        ),
        ("[[rule]]\nname = 'x'\napproval = true\nwhy = 'y'\nsurprise = 1", "surprise"),
        (
            "[[rule]]\nname = 'x'\napproval = true\nwhy = 'y'\n"
            "[[rule]]\nname = 'x'\napproval = false\nwhy = 'z'",
            "used twice: x",
        ),
    ],
)
def test_a_bad_policy_file_names_itself_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as raised:
        ApprovalPolicy.load(path)
    assert str(raised.value).startswith(f"policy file {path}: ")
    assert problem in str(raised.value)


def test_a_missing_policy_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        ApprovalPolicy.load(tmp_path / "absent.toml")

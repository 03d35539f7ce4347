from __future__ import annotations

import pytest

from tests.workflows.systems import System
from workflows.catalog import Catalog
from workflows.errors import PlanError
from workflows.library.briefing import briefing_plan
from workflows.plan import Plan, Step, validate_plan, waves

CATALOG = Catalog.of([*System("a").operations(), *System("b").operations()])


def plan(*steps: Step) -> Plan:
    return Plan(workflow="test", steps=steps)


def test_waves_follow_references_in_step_id_order() -> None:
    p = plan(
        Step(id="z", operation="a.echo", args={"q": "x"}),
        Step(id="m", operation="b.echo", args={"q": {"$ref": "z.value"}}),
        Step(id="c", operation="a.echo", args={"q": {"$ref": "z.value"}}),
        Step(id="last", operation="a.echo", after=("m", "c")),
    )
    validate_plan(p, CATALOG)
    assert waves(p) == [["z"], ["c", "m"], ["last"]]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ((), "no steps"),
        ((Step(id="x", operation="nope.echo"),), "no operation named 'nope.echo'"),
        ((Step(id="x", operation="a.echo"), Step(id="x", operation="a.echo")), "unique"),
        ((Step(id="Bad-Id", operation="a.echo"),), "lower_snake_case"),
        ((Step(id="x", operation="a.echo", args={"nope": 1}),), "takes no argument"),
        ((Step(id="x", operation="a.echo", args={"q": 5}),), "argument 'q' is invalid"),
        ((Step(id="x", operation="a.echo", args={"q": {"$ref": "ghost.v"}}),), "unknown steps"),
        ((Step(id="x", operation="a.echo", args={"q": {"$item": ""}}),), "no for_each"),
        (
            (
                Step(id="x", operation="a.echo", after=("y",)),
                Step(id="y", operation="a.echo", after=("x",)),
            ),
            "cycle",
        ),
    ],
)
def test_bad_plans_are_refused_before_running(steps: tuple[Step, ...], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        validate_plan(plan(*steps), CATALOG)


def test_the_briefing_plan_reads_six_systems_after_resolving() -> None:
    p = briefing_plan("Acme")
    assert waves(p) == [["account"], ["billing", "contracts", "crm", "email", "support", "usage"]]
    assert all(s.when == "account.account" for s in p.steps[1:])

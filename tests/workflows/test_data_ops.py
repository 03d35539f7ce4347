"""The pure data operations: filter, sort, top, count by and join over records, dotted field
paths, and the plain errors a plan's mistakes get."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from workflows.catalog import CallContext, Catalog
from workflows.dataops import (
    SYSTEM_LABELS,
    CountByInput,
    DataError,
    FilterInput,
    JoinInput,
    Records,
    SortInput,
    TopInput,
    count_by,
    data_operations,
    filter_records,
    join_records,
    sort_records,
    top_records,
)
from workflows.errors import PermanentOperationError, PlanError
from workflows.plan import Plan, Step, validate_plan

ACME = {"account_id": "acct-0001", "name": "Acme Corporation"}
SUMMIT = {"account_id": "acct-0003", "name": "Summit Health Systems"}
TICKETS: list[dict[str, Any]] = [
    {"id": "t1", "priority": "P1", "status": "open", "age_days": 9, "account": ACME},
    {"id": "t2", "priority": "P2", "status": "pending", "age_days": 4, "account": ACME},
    {"id": "t3", "priority": "P3", "status": "open", "age_days": 16, "account": SUMMIT},
    {"id": "t4", "priority": "P2", "status": "solved", "age_days": 25, "account": None},
]
CTX = CallContext(run_id="run-1", step_id="step-1", requester_email="dana@northwind.example")


def ids(result: Records) -> list[str]:
    assert result.count == len(result.records)
    return [r["id"] for r in result.records]


def where(field: str, op: str, value: object, records: list[dict[str, Any]] = TICKETS) -> Records:
    return filter_records(FilterInput(records=records, field=field, op=op, value=value))


# ---------------------------------------------------------------- filter


def test_filter_by_equality_and_its_negation() -> None:
    assert ids(where("priority", "eq", "P2")) == ["t2", "t4"]
    assert ids(where("priority", "ne", "P2")) == ["t1", "t3"]


def test_filter_compares_numbers_and_iso_dates_in_order() -> None:
    assert ids(where("age_days", "gt", 9)) == ["t3", "t4"]
    assert ids(where("age_days", "ge", 9)) == ["t1", "t3", "t4"]
    assert ids(where("age_days", "lt", 9.5)) == ["t1", "t2"]
    assert ids(where("age_days", "le", 4)) == ["t2"]
    dated = [{"id": "a", "due": "2026-11-05"}, {"id": "b", "due": "2026-12-01"}]
    assert ids(where("due", "lt", "2026-11-21", dated)) == ["a"]


def test_filter_follows_dotted_paths_and_a_null_on_the_way_reads_as_null() -> None:
    assert ids(where("account.name", "eq", "Acme Corporation")) == ["t1", "t2"]
    assert ids(where("account.name", "eq", None)) == ["t4"]
    assert ids(where("account.account_id", "gt", "acct-0002")) == ["t3"]  # null never orders


def test_contains_ignores_case_in_strings_and_finds_list_elements() -> None:
    assert ids(where("account.name", "contains", "acme")) == ["t1", "t2"]
    tagged = [{"id": "x", "tags": ["vip", "eu"]}, {"id": "y", "tags": []}]
    assert ids(where("tags", "contains", "eu", tagged)) == ["x"]


def test_in_keeps_records_whose_value_is_listed() -> None:
    assert ids(where("status", "in", ["open", "pending"])) == ["t1", "t2", "t3"]


def test_equality_treats_ints_and_floats_alike_but_not_booleans() -> None:
    flags = [{"id": "a", "v": 1}, {"id": "b", "v": 1.0}, {"id": "c", "v": True}]
    assert ids(where("v", "eq", 1, flags)) == ["a", "b"]
    assert ids(where("v", "eq", True, flags)) == ["c"]


def test_an_unknown_field_names_the_fields_there_are() -> None:
    with pytest.raises(DataError) as caught:
        where("acount.name", "eq", "Acme")
    message = str(caught.value)
    assert "'acount.name'" in message and "did you mean 'account'" in message
    assert "age_days, id, priority, status" in message
    assert isinstance(caught.value, PermanentOperationError) and caught.value.system == "data"
    with pytest.raises(DataError, match=r"in 'account' the fields are account_id, name"):
        where("account.nmae", "eq", "Acme")


def test_a_path_into_a_scalar_is_refused() -> None:
    with pytest.raises(DataError, match=r"'priority' is a string, it has no 'level'"):
        where("priority.level", "eq", 1)


def test_ordering_a_string_against_a_number_is_a_bad_comparison() -> None:
    with pytest.raises(DataError, match=r"cannot compare 'P1' with 2"):
        where("priority", "gt", 2)
    with pytest.raises(DataError, match="contains needs a string or a list"):
        where("age_days", "contains", "9")


@pytest.mark.parametrize(
    ("op", "value", "message"),
    [
        ("in", "open", "needs a list"),
        ("gt", None, "needs a number or a string"),
        ("lt", ["a"], "needs a number or a string"),
        ("contains", None, "needs a value to look for"),
        ("like", "x", "Input should be"),
    ],
)
def test_comparisons_that_cannot_work_are_refused_before_any_record_is_read(
    op: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        FilterInput(records=[], field="status", op=op, value=value)


def test_a_whole_step_output_in_place_of_its_list_is_explained() -> None:
    with pytest.raises(ValidationError, match=r"not an object \(it has the list\(s\) tickets"):
        FilterInput.model_validate({"records": {"tickets": [], "total": 0}, "field": "id"})


def test_field_paths_are_checked_for_shape() -> None:
    with pytest.raises(ValidationError):
        SortInput(records=[], field="account..name")


# ---------------------------------------------------------------- sort and top


def test_sort_ascending_and_descending_with_nulls_last() -> None:
    by_age = SortInput(records=TICKETS, field="age_days")
    assert ids(sort_records(by_age)) == ["t2", "t1", "t3", "t4"]
    desc = SortInput(records=TICKETS, field="age_days", order="desc")
    assert ids(sort_records(desc)) == ["t4", "t3", "t1", "t2"]
    by_name = SortInput(records=TICKETS, field="account.name", order="desc")
    assert ids(sort_records(by_name)) == ["t3", "t1", "t2", "t4"]  # ties keep their order


def test_sorting_mixed_values_is_refused() -> None:
    mixed = [{"v": 1}, {"v": "2"}]
    with pytest.raises(DataError, match="cannot sort by it; values are number and string"):
        sort_records(SortInput(records=mixed, field="v"))


def test_top_takes_the_first_n() -> None:
    assert ids(top_records(TopInput(records=TICKETS, n=2))) == ["t1", "t2"]
    assert ids(top_records(TopInput(records=TICKETS, n=10))) == ["t1", "t2", "t3", "t4"]
    with pytest.raises(ValidationError):
        TopInput(records=TICKETS, n=0)


# ---------------------------------------------------------------- count by


def test_count_by_counts_each_value_most_frequent_first() -> None:
    result = count_by(CountByInput(records=TICKETS, field="account.name"))
    assert result.records == [
        {"value": "Acme Corporation", "count": 2},
        {"value": "Summit Health Systems", "count": 1},
        {"value": None, "count": 1},
    ]
    statuses = count_by(CountByInput(records=TICKETS, field="status")).records
    assert [(g["value"], g["count"]) for g in statuses] == [
        ("open", 2),
        ("pending", 1),
        ("solved", 1),
    ]


def test_count_by_an_object_is_refused() -> None:
    with pytest.raises(DataError, match="holds an object: cannot count by it"):
        count_by(CountByInput(records=TICKETS[:1], field="account"))


# ---------------------------------------------------------------- join

ACCOUNTS = [
    {"account": ACME, "owner_email": "dana@northwind.example"},
    {"account": SUMMIT, "owner_email": "marcus@northwind.example"},
    {"account": {"account_id": "acct-0009", "name": "Quiet Co"}, "owner_email": "x@y"},
]


def test_join_gathers_the_matching_right_records_under_into() -> None:
    joined = join_records(
        JoinInput(left=ACCOUNTS, right=TICKETS, key="account.account_id", into="tickets")
    )
    assert [r["account"]["name"] for r in joined.records] == [
        "Acme Corporation",
        "Summit Health Systems",
    ]
    assert [t["id"] for t in joined.records[0]["tickets"]] == ["t1", "t2"]
    assert joined.records[0]["owner_email"] == "dana@northwind.example"


def test_a_left_join_keeps_records_without_a_match() -> None:
    joined = join_records(
        JoinInput(left=ACCOUNTS, right=TICKETS, key="account.account_id", how="left")
    )
    assert [len(r["matches"]) for r in joined.records] == [2, 1, 0]


def test_join_on_differently_named_keys_and_null_keys_match_nothing() -> None:
    counts = count_by(CountByInput(records=TICKETS, field="account.account_id")).records
    joined = join_records(
        JoinInput(left=counts, right=ACCOUNTS, key="value", right_key="account.account_id")
    )
    assert [(r["value"], r["count"], len(r["matches"])) for r in joined.records] == [
        ("acct-0001", 2, 1),
        ("acct-0003", 1, 1),
    ]


def test_join_refuses_to_overwrite_a_field() -> None:
    with pytest.raises(DataError, match="already have a field 'account'"):
        join_records(
            JoinInput(left=ACCOUNTS, right=TICKETS, key="account.account_id", into="account")
        )


def test_join_reports_an_unknown_key_on_either_side() -> None:
    with pytest.raises(DataError, match="no field 'account_id'"):
        join_records(JoinInput(left=ACCOUNTS, right=TICKETS, key="account_id"))


# ---------------------------------------------------------------- in the catalog


def test_the_operations_are_pure_reads_of_the_data_system() -> None:
    catalog = Catalog.of(data_operations(), SYSTEM_LABELS)
    assert [op.name for op in catalog] == [
        "data.filter",
        "data.sort",
        "data.top",
        "data.count_by",
        "data.join",
    ]
    for op in catalog:
        assert (op.system, op.access, op.output_model) == ("data", "read", Records)
        assert op.description and "\n" not in op.description
        assert "records" in op.describe()["input_schema"]["properties"] or op.name == "data.join"
    assert catalog.label("data") == "Data"


async def test_a_handler_returns_records_for_the_engine() -> None:
    op = Catalog.of(data_operations()).get("data.filter")
    args = {"records": TICKETS, "field": "priority", "op": "eq", "value": "P1"}
    output = await op.handler(op.input_model.model_validate(args), CTX)
    assert isinstance(output, BaseModel)
    assert output.model_dump(mode="json") == {"records": [TICKETS[0]], "count": 1}


def test_a_plan_with_a_bad_literal_comparison_is_refused_before_it_runs() -> None:
    catalog = Catalog.of(data_operations())
    step = Step(id="p1", operation="data.filter", args={"records": [], "field": "x", "op": "like"})
    with pytest.raises(PlanError, match="argument 'op' is invalid"):
        validate_plan(Plan(workflow="test", steps=(step,)), catalog)

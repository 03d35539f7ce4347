"""Inputs and output of the data operations: a list of records and what to do with it.

Records are JSON objects with string keys, as earlier steps produced them (``{"$ref":
"tickets.tickets"}``); fields are named by dotted paths (``account.name``).
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from workflows.dataops.fields import Comparison, kind

MAX_RECORDS: Final = 10_000
FieldPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=200)]
RecordList = Annotated[list[dict[str, Any]], Field(max_length=MAX_RECORDS)]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordsInput(_Input):
    """``records``: a list of objects, e.g. ``{"$ref": "overdue.invoices"}``."""

    records: RecordList

    @field_validator("records", mode="before")
    @classmethod
    def _a_list(cls, value: object, info: ValidationInfo) -> object:
        return records_of(value, info.field_name)


def records_of(value: object, name: str | None) -> object:
    """``value`` unchanged when it is a list; an object in its place gets a message naming
    its lists, since the usual slip is referring to a step's whole output."""
    if isinstance(value, dict):
        lists = sorted(k for k, v in value.items() if isinstance(v, list))
        hint = f" (it has the list(s) {', '.join(lists)}: refer to one)" if lists else ""
        raise ValueError(f"{name} must be a list of records, not an object{hint}")
    return value


class Records(BaseModel):
    """What every data operation returns: the records and how many there are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: list[dict[str, Any]] = Field(default_factory=list)
    count: int = 0

    @classmethod
    def of(cls, records: list[dict[str, Any]]) -> Records:
        return cls(records=records, count=len(records))


class FilterInput(RecordsInput):
    """Keep the records whose ``field`` passes ``op`` against ``value``."""

    field: FieldPath
    op: Comparison = "eq"
    value: Any = None

    @model_validator(mode="after")
    def _fits(self) -> Self:
        found = kind(self.value)
        if self.op == "in" and found != "list":
            raise ValueError("op 'in' needs a list of values")
        if self.op in ("gt", "ge", "lt", "le") and found not in ("number", "string"):
            raise ValueError(
                f"op {self.op!r} needs a number or a string (an ISO date), not {found}"
            )
        if self.op == "contains" and found in ("null", "list", "object"):
            raise ValueError("op 'contains' needs a value to look for")
        return self


class SortInput(RecordsInput):
    """Records ordered by ``field``; records where it is null come last."""

    field: FieldPath
    order: Literal["asc", "desc"] = "asc"


class TopInput(RecordsInput):
    """The first ``n`` records, in the order given."""

    n: int = Field(ge=1, le=MAX_RECORDS)


class CountByInput(RecordsInput):
    """How many records have each value of ``field``."""

    field: FieldPath


class JoinInput(_Input):
    """Each ``left`` record with the ``right`` records whose ``right_key`` (default: ``key``)
    equals its ``key``, as a list under the field ``into``. ``how`` "inner" keeps only left
    records with at least one match, "left" keeps them all."""

    left: RecordList
    right: RecordList
    key: FieldPath
    right_key: FieldPath | None = None
    into: str = Field(default="matches", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
    how: Literal["inner", "left"] = "inner"

    @field_validator("left", "right", mode="before")
    @classmethod
    def _lists(cls, value: object, info: ValidationInfo) -> object:
        return records_of(value, info.field_name)

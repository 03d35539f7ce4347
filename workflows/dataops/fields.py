"""Reading and comparing fields of records: dotted paths, and comparisons that say plainly
when they make no sense.

A path such as ``account.name`` walks into nested objects (a number walks into a list:
``contacts.0.email``). A field every record must have but one lacks is a mistake in the
plan, so it fails with :class:`DataError` naming the fields there are; a field that is there
but null reads as null (``last_activity.at`` of an account with no activity).
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, assert_never

from workflows.errors import PermanentOperationError

SYSTEM: Final = "data"
Comparison = Literal["eq", "ne", "gt", "ge", "lt", "le", "contains", "in"]
Kind = Literal["null", "bool", "number", "string", "list", "object"]
_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


class DataError(PermanentOperationError):
    """A data operation cannot do what it was asked: an unknown field, a comparison or sort of
    values that do not compare. Retrying will not help; the plan must change."""

    def __init__(self, message: str) -> None:
        super().__init__(message, system=SYSTEM)


def kind(value: object) -> Kind:
    """The JSON kind of ``value``: booleans are not numbers here."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list | tuple) else "object"


def read(record: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (dotted) in ``record``; null if something on the way is null."""
    value: Any = record
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if value is None:
            return None
        if isinstance(value, Mapping):
            if part not in value:
                raise DataError(_unknown(path, ".".join(parts[:depth]), part, value))
            value = value[part]
        elif isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            where = ".".join(parts[:depth])
            raise DataError(f"field {path!r}: {where!r} is {_a(kind(value))}, it has no {part!r}")
    return value


def _unknown(path: str, where: str, part: str, found: Mapping[str, Any]) -> str:
    names = sorted(str(k) for k in found)
    place = f"in {where!r}" if where else "in the records"
    hint = difflib.get_close_matches(part, names, n=1)
    suggestion = f"; did you mean {'.'.join([*filter(None, [where]), hint[0]])!r}?" if hint else ""
    return f"there is no field {path!r}: {place} the fields are {', '.join(names)}{suggestion}"


def same(left: object, right: object) -> bool:
    """Equality of JSON values: 1 equals 1.0, but true is not 1."""
    if kind(left) == "bool" or kind(right) == "bool":
        return kind(left) == kind(right) and left == right
    return left == right


def compare(op: Comparison, actual: object, expected: object, path: str) -> bool:
    """Whether the field's ``actual`` value passes ``op`` against ``expected``.

    A null field passes only ``eq null``, ``ne`` and ``in [.., null]``; ``contains`` looks for
    a substring (ignoring case) in a string, or an element in a list."""
    match op:
        case "eq":
            return same(actual, expected)
        case "ne":
            return not same(actual, expected)
        case "gt" | "ge" | "lt" | "le":
            if actual is None:
                return False
            ordered(path, [actual, expected], f"compare {_show(actual)} with {_show(expected)}")
            return _ORDER[op](actual, expected)
        case "contains":
            return _contains(actual, expected, path)
        case "in":
            return isinstance(expected, list) and any(same(actual, e) for e in expected)
        case _:
            assert_never(op)


def _contains(actual: object, expected: object, path: str) -> bool:
    if actual is None:
        return False
    if isinstance(actual, str):
        if not isinstance(expected, str):
            raise DataError(f"field {path!r} is a string: contains needs a string to look for")
        return expected.lower() in actual.lower()
    if isinstance(actual, list):
        return any(same(item, expected) for item in actual)
    raise DataError(f"field {path!r} is {_a(kind(actual))}: contains needs a string or a list")


def ordered(path: str, values: list[object], doing: str) -> None:
    """Raise unless ``values`` can be put in order: all numbers, all strings (ISO dates and
    times order as strings) or all booleans."""
    kinds = {kind(v) for v in values}
    if len(kinds) > 1 or not kinds <= {"number", "string", "bool"}:
        found = " and ".join(sorted(kinds))
        raise DataError(f"field {path!r}: cannot {doing}; values are {found}")


def scalar(path: str, value: object, doing: str) -> object:
    """``value`` if it can be a key (to group or join on); lists and objects cannot."""
    if kind(value) in ("list", "object"):
        raise DataError(f"field {path!r} holds {_a(kind(value))}: cannot {doing} on it")
    return value


def _a(name: Kind) -> str:
    return f"an {name}" if name == "object" else f"a {name}"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

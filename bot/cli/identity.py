"""``crosswire identity match A.csv [B.csv] --out links.csv``: link two CSV files, or find the
duplicates in one, with the entity-resolution engine, before an import goes in.

Columns map to field types by their header (``given_name`` and ``first_name`` are a first
name, ``surname`` a last name, ``dob`` a date of birth, ``organisation`` a company, …; see
:data:`ALIASES`) or by ``--fields col=type,...``; columns of no known type are left out and
named in the summary. The record id is ``--id COLUMN`` (default: the first column). The links go
to ``--out`` as ``left_id,right_id,score`` rows with a header, sorted: one row for every two
records the engine put in one entity, ``score`` the match probability of the pair (of the
entity's weakest link when the two are joined through others). For two files ``left_id`` is
always from the first file and only pairs across the files are compared; for one file
``left_id < right_id``. A summary goes to stdout. Exit code 0 when done, 2 for input that
cannot work (one line on stderr, no traceback). No settings, database or network are needed.

This module creates the ``identity`` command group (:func:`identity_parsers`); other
``identity`` subcommands are added to the group it returns.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # the engine (numpy, rapidfuzz) is imported only when a match runs
    from connectors.resolution import Kind, Record, ResolverSettings

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2

FieldType = Literal[
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "date_of_birth",
    "company",
    "domain",
    "id",
    "ignore",
]
FIELD_TYPES: Final[tuple[FieldType, ...]] = (
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "date_of_birth",
    "company",
    "domain",
    "id",
    "ignore",
)
ALIASES: Final[dict[str, FieldType]] = {
    **dict.fromkeys(("first_name", "firstname", "given_name", "givenname", "forename",
                     "first"), "first_name"),
    **dict.fromkeys(("last_name", "lastname", "surname", "family_name", "familyname",
                     "last"), "last_name"),
    **dict.fromkeys(("name", "full_name", "fullname", "person", "contact", "contact_name"),
                    "name"),
    **dict.fromkeys(("email", "e_mail", "email_address", "mail"), "email"),
    **dict.fromkeys(("phone", "telephone", "phone_number", "tel", "mobile", "cell"), "phone"),
    **dict.fromkeys(("address", "street", "street_address", "street_number", "address_1",
                     "address_2", "address1", "address2", "address_line_1", "address_line_2",
                     "suburb", "city", "town", "state", "region", "county", "country"),
                    "address"),
    **dict.fromkeys(("postcode", "post_code", "zip", "zip_code", "zipcode", "postal_code"),
                    "postcode"),
    **dict.fromkeys(("date_of_birth", "dob", "birth_date", "birthdate", "birthday",
                     "born"), "date_of_birth"),
    **dict.fromkeys(("company", "company_name", "organisation", "organization", "org",
                     "organisation_name", "organization_name", "business", "business_name",
                     "legal_name", "trading_name", "employer", "account", "account_name",
                     "customer_name", "vendor_name", "supplier_name"), "company"),
    **dict.fromkeys(("domain", "website", "web", "url", "homepage"), "domain"),
    **dict.fromkeys(("soc_sec_id", "ssn", "social_security_number", "national_id", "tax_id",
                     "vat", "vat_number", "duns", "ein", "company_number",
                     "registration_number", "passport"), "id"),
}  # fmt: skip
"""Header names (lower case, runs of other characters as ``_``) and their field types."""
PERSON_TYPES: Final = frozenset({"first_name", "last_name", "date_of_birth"})
_DATE_FORMATS: Final = (
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
)


class Refused(Exception):
    """Input ``identity match`` cannot work with; ``str()`` is the line for stderr."""


@dataclass(frozen=True)
class Table:
    """One CSV file read: its records, the type of each column used and the columns left out."""

    path: Path
    records: tuple[Record, ...]
    types: dict[str, FieldType]
    ignored: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    """What a match found: the links (``left_id, right_id, score``, sorted) and how it went."""

    tables: tuple[Table, ...]
    kind: Kind
    links: list[tuple[str, str, float]]
    candidate_pairs: int
    maybes: int
    seconds: float
    resolve_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def identity_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add the ``identity`` group with ``match``; returns the group for more subcommands."""
    identity = sub.add_parser("identity", help="who is who across systems and files")
    identity_sub = identity.add_subparsers(dest="identity_command", required=True)
    match = identity_sub.add_parser(
        "match",
        help="link two CSV files (or find the duplicates in one): left_id,right_id,score",
        epilog="Field types: " + ", ".join(FIELD_TYPES) + ". Exit code 2 (with the reason) "
        "for a missing or unreadable file, a file without a header or records, or a --fields "
        "column or type that does not exist.",
    )
    match.add_argument("files", nargs="+", metavar="FILE.csv", help="one file, or two to link")
    match.add_argument(
        "--out", required=True, type=Path, metavar="LINKS.csv", help="where the links go"
    )
    match.add_argument(
        "--id", dest="id_column", metavar="COLUMN", help="the record id (default: first column)"
    )
    match.add_argument(
        "--fields", metavar="COL=TYPE,...", help="field types of columns (others by name)"
    )
    return identity_sub


def identity_match(args: argparse.Namespace) -> int:
    """Run ``identity match`` from parsed arguments; print the summary or the reason."""
    try:
        if len(args.files) > 2:
            raise Refused("give one file to deduplicate or two to link, not more")
        result = match_files(
            [Path(p) for p in args.files],
            fields=parse_fields(args.fields),
            id_column=args.id_column,
        )
        write_links(args.out, result.links)
    except Refused as exc:
        print(f"crosswire: identity match: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary(result, args.out))
    return EXIT_OK


def parse_fields(text: str | None) -> dict[str, FieldType]:
    """``"fname=first_name,dob=date_of_birth"`` as a mapping; a clear error for bad input."""
    out: dict[str, FieldType] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        column, eq, kind = part.partition("=")
        column, kind = column.strip(), kind.strip()
        if not eq or not column or not kind:
            raise Refused(f"--fields wants COLUMN=TYPE pairs separated by commas, not {part!r}")
        if kind not in FIELD_TYPES:
            raise Refused(
                f"unknown field type {kind!r} for {column!r}; types: " + ", ".join(FIELD_TYPES)
            )
        out[column] = FIELD_TYPES[FIELD_TYPES.index(kind)]
    return out


def match_files(
    paths: Sequence[Path],
    *,
    fields: dict[str, FieldType] | None = None,
    id_column: str | None = None,
    settings: ResolverSettings | None = None,
) -> MatchResult:
    """Link ``paths`` (two files) or deduplicate one; raises :class:`Refused` for bad input."""
    from connectors.resolution import ResolutionError, Resolver, ResolverSettings, paused_gc

    started = time.perf_counter()
    fields = fields or {}
    systems = ("left", "right") if len(paths) == 2 else ("file",)
    headers = [_header(p) for p in paths]
    unknown = [c for c in fields if not any(c in h for h in headers)]
    if unknown:
        where = " or ".join(p.name for p in paths)
        raise Refused(f"--fields names a column that {where} does not have: {unknown[0]!r}")
    with paused_gc():  # a record object per row, all kept: no collector passes over them
        tables = tuple(
            read_table(p, system, fields=fields, id_column=id_column)
            for p, system in zip(paths, systems, strict=True)
        )
    kinds = {r.kind for t in tables for r in t.records[:1]}
    if len(kinds) > 1:
        raise Refused(
            f"{paths[0].name} holds people and {paths[1].name} companies (or the other way "
            "round): map their columns to the same kinds of field"
        )
    kind = kinds.pop()
    base = settings or ResolverSettings()
    resolver = Resolver(base.model_copy(update={"across_systems_only": len(paths) == 2}))
    resolving = time.perf_counter()
    try:
        resolution = resolver.resolve([r for t in tables for r in t.records])
    except ResolutionError as exc:
        raise Refused(str(exc)) from exc
    resolve_seconds = time.perf_counter() - resolving
    links = sorted(
        _oriented(left, right, scores.get((left, right), entity.confidence))
        for entity in resolution.entities
        for scores in [{(k.left, k.right): k.probability for k in entity.links}]
        for i, left in enumerate(entity.records)
        for right in entity.records[i + 1 :]
        if len(paths) == 1 or left[0] != right[0]
    )
    return MatchResult(
        tables=tables,
        kind=kind,
        links=links,
        candidate_pairs=resolution.stats.candidate_pairs,
        maybes=resolution.stats.maybes,
        seconds=time.perf_counter() - started,
        resolve_seconds=resolve_seconds,
    )


def _oriented(
    left: tuple[str, str], right: tuple[str, str], score: float
) -> tuple[str, str, float]:
    if left[0] == right[0]:  # one file: the smaller id first
        a, b = sorted((left[1], right[1]))
        return (a, b, score)
    if left[0] == "right":
        left, right = right, left
    return (left[1], right[1], score)


def write_links(path: Path, links: Sequence[tuple[str, str, float]]) -> None:
    """``left_id,right_id,score`` with a header; the score to six decimals."""
    try:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("left_id", "right_id", "score"))
            writer.writerows((a, b, f"{score:.6f}") for a, b, score in links)
    except OSError as exc:
        raise Refused(f"cannot write {path}: {exc.strerror or exc}") from exc


def summary(result: MatchResult, out: Path) -> str:
    """The lines printed after a match."""
    read = " and ".join(f"{len(t.records):,} from {t.path.name}" for t in result.tables)
    kinds = "people" if result.kind == "person" else "companies"
    used = "; ".join(
        f"{t.path.name} " + ", ".join(c if c == k else f"{c} ({k})" for c, k in t.types.items())
        for t in result.tables
    )
    lines = [f"Read {read} ({kinds}).", f"Fields: {used}."]
    ignored = sorted({c for t in result.tables for c in t.ignored})
    if ignored:
        lines.append(f"Left out (no field type; name them with --fields): {', '.join(ignored)}.")
    lines.append(
        f"Compared {result.candidate_pairs:,} candidate pairs: {len(result.links):,} links "
        f"written to {out}, {result.maybes:,} in the maybe band (not written). "
        f"{result.seconds:.2f} s."
    )
    return "\n".join(lines)


def _header(path: Path) -> list[str]:
    rows = _rows(path)
    return rows[0] if rows else []


def _rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise Refused(f"{path}: no such file") from None
    except IsADirectoryError:
        raise Refused(f"{path} is a directory, not a CSV file") from None
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise Refused(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8 CSV"
        ) from None
    try:
        return [row for row in csv.reader(text.splitlines()) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise Refused(f"{path} is not a CSV file I can read: {exc}") from None


def _normalised(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def read_table(
    path: Path,
    system: str,
    *,
    fields: dict[str, FieldType] | None = None,
    id_column: str | None = None,
) -> Table:
    """The records of one CSV file, its columns typed by ``fields`` or by their names."""
    rows = _rows(path)
    if not rows:
        raise Refused(f"{path} is empty")
    header, body = [c.strip() for c in rows[0]], rows[1:]
    if len(set(header)) != len(header) or not all(header):
        raise Refused(f"{path}: the header needs a distinct, non-empty name for every column")
    id_at = 0
    if id_column is not None:
        if id_column not in header:
            raise Refused(f"{path} has no column {id_column!r} for --id")
        id_at = header.index(id_column)
    types: dict[str, FieldType] = {}
    ignored: list[str] = []
    for i, column in enumerate(header):
        if i == id_at:
            continue
        typed = (fields or {}).get(column) or ALIASES.get(_normalised(column))
        if typed is None:
            ignored.append(column)
        elif typed != "ignore":  # left out as asked: not named again
            types[column] = typed
    if not types:
        raise Refused(
            f"{path}: no column names a field type (first row: {', '.join(header[:6])}); "
            "if it has no header, add one, or name the columns with --fields"
        )
    if not body:
        raise Refused(f"{path} has a header but no records")
    kind = _kind(set(types.values()))
    plan: dict[FieldType, list[int]] = {}
    for column, typed in types.items():
        plan.setdefault(typed, []).append(header.index(column))
    records = []
    seen: dict[str, int] = {}
    for line, row in enumerate(body, start=2):
        values = [c.strip() for c in row] + [""] * (len(header) - len(row))
        record_id = values[id_at]
        if not record_id:
            raise Refused(f"{path}, line {line}: no id in column {header[id_at]!r}")
        if record_id in seen:
            raise Refused(f"{path}: the id {record_id!r} is on line {seen[record_id]} and {line}")
        seen[record_id] = line
        records.append(_record(system, record_id, kind, plan, header, values))
    return Table(path=path, records=tuple(records), types=types, ignored=tuple(ignored))


def _kind(types: set[FieldType]) -> Kind:
    """People when a column is a first or last name or a date of birth, or a name with no
    domain beside it ("name, email, company" is a contact); companies otherwise."""
    if PERSON_TYPES & types or ("name" in types and "domain" not in types):
        return "person"
    return "company"


def _record(
    system: str,
    record_id: str,
    kind: Kind,
    plan: dict[FieldType, list[int]],
    header: list[str],
    values: list[str],
) -> Record:
    from connectors.resolution import Record

    def joined(field_type: FieldType) -> str:
        columns = plan.get(field_type)
        if not columns:
            return ""
        if len(columns) == 1:
            return values[columns[0]]
        return " ".join([v for i in columns if (v := values[i])])

    first, last, full = joined("first_name"), joined("last_name"), joined("name")
    person_name = f"{last}, {first}" if first or last else full
    address = " ".join(x for x in (joined("address"), joined("postcode")) if x)
    births = [d for i in plan.get("date_of_birth", ()) if (d := parse_date(values[i]))]
    ids = {header[i]: v for i in plan.get("id", ()) if (v := values[i])}
    company = joined("company")
    if kind == "company":
        company = company or full
    return Record(
        system=system,
        record_id=record_id,
        kind=kind,
        name=(person_name if kind == "person" else company) or None,
        email=joined("email") or None,
        phone=joined("phone") or None,
        domain=joined("domain") or None,
        company_name=(company or None) if kind == "person" else None,
        address=address or None,
        dates={"birth": births[0]} if births else {},
        identifiers=ids,
    )


def parse_date(text: str) -> date | None:
    """``19520314``, ``1952-03-14`` or ``1952/3/14``; ``None`` for anything else (a date
    that does not exist, such as month 13, is missing rather than wrong)."""
    for pattern in _DATE_FORMATS:
        found = pattern.fullmatch(text.strip())
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None

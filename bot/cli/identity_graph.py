"""``crosswire identity same|different|show``: the identity graph from the terminal.

``show "Acme"`` prints an entity (a customer, or a person by their email address, or any
record as ``system:id``) with every record it links and why: each link's probability and the
fields that agreed. ``same A B`` and ``different A B`` record a person's verdict on two
records; it wins over the model from then on, through every refresh, and is audited. Exit
code 0 when done, 1 for a verdict that contradicts earlier ones, 2 for input that cannot work
(the reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

from bot.identity_verdicts import audit_identity, record_verdict
from bot.settings import Settings
from connectors.demo import open_demo_world
from connectors.graph import IdentityGraph
from connectors.identity import IdentityDirectory, open_directory
from connectors.resolution import Entity, RecordKey, ResolutionError, Verdict
from workflows.audit import AuditStore
from workflows.clock import Clock, SystemClock

EXIT_OK: Final = 0
EXIT_CONFLICT: Final = 1
EXIT_USAGE: Final = 2
SAID: Final[dict[Verdict, str]] = {"same": "the same", "not_same": "not the same"}


class Refused(Exception):
    """Input the command cannot work with; ``str()`` is the line for stderr."""


async def identity_command(
    args: argparse.Namespace, settings: Settings, *, clock: Clock | None = None
) -> int:
    """Run ``identity same|different|show``."""
    async with _opened(settings, clock or SystemClock()) as opened:
        if args.identity_command == "show":
            return _show(opened, args.query, as_json=args.json)
        verdict: Verdict = "same" if args.identity_command == "same" else "not_same"
        return await _decide(opened, args.left, args.right, verdict, args.email)


@dataclass(frozen=True)
class _Opened:
    audit: AuditStore
    directory: IdentityDirectory
    graph: IdentityGraph


@asynccontextmanager
async def _opened(settings: Settings, clock: Clock) -> AsyncIterator[_Opened]:
    audit = await AuditStore.open(settings.audit_database_url, clock=clock)
    world = await open_demo_world(settings.demo_database, clock=clock, seed=settings.demo_seed)
    try:
        directory = await open_directory(audit.engine, world, clock=clock)
        assert directory.graph is not None  # open_directory always serves from a graph
        yield _Opened(audit, directory, directory.graph)
    finally:
        await world.close()
        await audit.close()


def record_key(text: str, directory: IdentityDirectory, graph: IdentityGraph) -> RecordKey:
    """The record ``text`` names: ``system:id``, an email address (the account system's
    record of that person first), or a customer (its account record)."""
    wanted = text.strip()
    system, _, rest = wanted.partition(":")
    if rest and (system, rest) in graph.records:
        return (system, rest)
    if "@" in wanted:
        found = sorted(
            (k[0] != graph.account_system, k)
            for k, r in graph.records.items()
            if (r.source.record.email or "").lower() == wanted.lower()
        )
        if found:
            return found[0][1]
        raise Refused(f"No record in any system has the address {wanted}.")
    answer = directory.resolve_account(wanted)
    if answer.status == "found" and answer.account is not None:
        return (graph.account_system, answer.account.account_id)
    if answer.status == "ambiguous":
        raise Refused(f"{wanted!r} could be {_either(answer.candidates)}; say which.")
    hint = f" Did you mean {_either(answer.candidates)}?" if answer.candidates else ""
    raise Refused(f"No customer or record is called {wanted!r}.{hint}")


def _either(names: list[str]) -> str:
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + f" or {names[-1]}"


def _show(opened: _Opened, query: str, *, as_json: bool) -> int:
    try:
        key = record_key(query, opened.directory, opened.graph)
    except Refused as exc:
        return _refuse(str(exc))
    entity = opened.graph.entity_of(key)
    assert entity is not None  # every record of the graph is in an entity
    if as_json:
        print(json.dumps(_entity_json(opened.graph, entity), indent=2))
    else:
        print("\n".join(entity_lines(opened.graph, entity)))
    return EXIT_OK


def entity_lines(graph: IdentityGraph, entity: Entity) -> list[str]:
    """An entity as the terminal shows it: its records per system, then why they are one."""
    title = _title(graph, entity)
    out = [f"{title} ({entity.kind} {entity.entity_id}, confidence {entity.confidence:.2f})"]
    out.append("  Records:")
    for system, record_id in entity.records:
        out.append(f"    {system:<10} {record_id:<32} {_what(graph, (system, record_id))}")
    if entity.links:
        out.append("  Why:")
    for link in entity.links:
        said = "a person said so; " if link.source == "override" else ""
        agreed = ", ".join(link.agreed) or "no field agreed"
        out.append(
            f"    {_ref(link.left)} = {_ref(link.right)}: {said}"
            f"{link.probability:.1%}, agreed {agreed}"
        )
    members = set(entity.records)
    verdicts = [o for o in graph.overrides if {o.left, o.right} & members]
    if verdicts:
        out.append("  Overrides:")
    out += [f"    {_ref(o.left)} and {_ref(o.right)}: {SAID[o.verdict]}" for o in verdicts]
    return out


def _title(graph: IdentityGraph, entity: Entity) -> str:
    for key in entity.records:
        record = graph.records[key].source.record
        if record.name:
            return record.name
    first = graph.records[entity.records[0]].source.record
    return first.email or first.domain or first.record_id


def _what(graph: IdentityGraph, key: RecordKey) -> str:
    r = graph.records[key].source.record
    return " · ".join(v for v in (r.name, r.email, r.domain) if v)


def _ref(key: RecordKey) -> str:
    return f"{key[0]}:{key[1]}"


def _entity_json(graph: IdentityGraph, entity: Entity) -> dict[str, Any]:
    return {
        **entity.model_dump(mode="json"),
        "name": _title(graph, entity),
        "record_fields": {
            _ref(k): graph.records[k].source.record.model_dump(mode="json", exclude_defaults=True)
            for k in entity.records
        },
    }


async def _decide(
    opened: _Opened, left_text: str, right_text: str, verdict: Verdict, email: str
) -> int:
    detail: dict[str, Any] = {"verdict": verdict, "left": left_text, "right": right_text}
    detail["by"] = email
    try:
        if opened.directory.find_employee(email) is None:
            raise Refused(f"{email} is not in the company directory.")
        left = record_key(left_text, opened.directory, opened.graph)
        right = record_key(right_text, opened.directory, opened.graph)
        if left == right:
            raise Refused(f"{left_text!r} and {right_text!r} are the same record.")
        await record_verdict(opened.audit, opened.directory, left, right, verdict, email)
    except Refused as exc:
        await audit_identity(opened.audit, detail | {"outcome": "refused", "reason": str(exc)})
        return _refuse(str(exc))
    except ResolutionError as exc:
        print(f"crosswire: Not recorded: {exc}.", file=sys.stderr)
        return EXIT_CONFLICT
    print(f"Recorded: {_ref(left)} and {_ref(right)} are {SAID[verdict]} (by {email}).")
    shown = {e.entity_id: e for k in (left, right) if (e := opened.graph.entity_of(k))}
    for entity in shown.values():
        print("\n".join(entity_lines(opened.graph, entity)))
    return EXIT_OK


def _refuse(line: str) -> int:
    print(f"crosswire: {line}", file=sys.stderr)
    return EXIT_USAGE

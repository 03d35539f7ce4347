"""The company directory: which record in each system is the same customer, and who is who.

The directory is an in-memory index loaded from the identity graph
(:class:`~connectors.graph.IdentityGraph`), which the resolution engine builds from the
connectors' records (:class:`~connectors.graph.IdentitySource`) and keeps current: an
account is the account system's (CRM's) company record with every record its entity links
in the other systems; a contact is every person record of an entity, found by name or by
any of their email addresses, even one no CRM holds. Lookups never call a system.

Resolution order for a query: an account id, or an exact domain (or email address, or tenant
id) wins; then an exact normalised name; then fuzzy matching, which answers "found" only for
one clear winner, "ambiguous" for several close ones, and otherwise "not_found" with up to
three plausible suggestions (or none). The directory also finds the customers a whole message
names (:meth:`IdentityDirectory.find_in`, see :mod:`connectors.mentions`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Self

import structlog
from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.graph import LINKING, IdentityGraph, IdentitySource, SourceRecord
from connectors.graph.aside import aside
from connectors.mentions import IndexSource, MentionIndex
from connectors.release import empty_in_pieces
from connectors.resolution import RecordKey, ResolutionError, Resolver, Verdict, lasting, paused_gc
from connectors.shortlist import AliasShortlist
from workflows.clock import Clock
from workflows.domain import AccountRef, AccountResolution, CustomerMention, Employee

log = structlog.get_logger(__name__)

LEGAL_SUFFIXES: Final = frozenset(
    {"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited"}
    | {"llc", "llp", "gmbh", "plc", "sa", "ag"}
)
FOUND_SCORE: Final = 85.0
AMBIGUITY_MARGIN: Final = 5.0
LINK_SCORE: Final = 92.0
WORD_SCORE: Final = 80.0
MAX_CANDIDATES: Final = 5
RESOLVED_KEPT: Final = 4
Scorer = Callable[[str, str], float]
# How a directory runs its reload away from the event loop (asyncio.to_thread's shape).
Offload = Callable[..., Awaitable[Any]]
_STOPWORDS: Final = frozenset({"and", "the", "of", "co", "op"})


def normalize_name(name: str) -> str:
    """``"Acme Corporation, Inc."`` → ``"acme"``: lower case, no punctuation or legal forms."""
    words = re.sub(r"[^\w\s]", " ", name.lower().replace("&", " and ")).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


_RESOLVED: dict[str, dict[RecordKey, str]] = {}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class SystemRecord:
    """A customer as one system spells it: ``("support", "org-1042", "ACME Corp.")``."""

    system: str
    id: str
    name: str


@dataclass(frozen=True)
class ContactRecord:
    """A person at a customer: ``("Alex Morgan", "alex.morgan@acme.io", "acct-0001")``; the
    name is ``""`` for someone the systems know only by their address."""

    name: str
    email: str
    account_id: str


@dataclass(frozen=True)
class DirectorySource:
    """What the directory is built from. ``accounts`` are linked across systems;
    ``records`` are their names in other systems; ``domain_systems`` maps a system that knows
    customers by domain (or a domain-named id) to the ids it has, each a lookup key of the
    account linked to it."""

    accounts: Sequence[AccountRef]
    records: Sequence[SystemRecord]
    domain_systems: dict[str, frozenset[str]]
    employees: Sequence[Employee]
    contacts: Sequence[ContactRecord] = ()
    account_owners: Mapping[str, str] = field(default_factory=dict)  # account id -> email


class IdentityDirectory:
    """Customer accounts linked across systems, and the seller's employees: who reports to
    whom and who owns which account (a :class:`~workflows.ports.People`)."""

    def __init__(
        self,
        source: DirectorySource,
        graph: IdentityGraph | None = None,
        *,
        offload: Offload | None = None,
    ) -> None:
        self.graph = graph
        self._offload = offload or aside
        # One change to the graph at a time (a refresh, a verdict), each with its reload.
        self._changing = asyncio.Lock()
        self._lookups = _Lookups.of(source)

    @classmethod
    def from_graph(cls, graph: IdentityGraph, *, offload: Offload | None = None) -> Self:
        """The directory of what the identity graph holds now (``graph`` is kept: refreshes
        and verdicts go through it)."""
        return cls(_graph_source(graph), graph, offload=offload)

    async def refresh(self) -> None:
        """Refresh the graph (what changed in the systems, verdicts other processes recorded)
        and serve the result; a directory without a graph has nothing to refresh."""
        if self.graph is None:
            return
        async with self._changing:
            if (await self.graph.refresh()).how != "unchanged":
                await self._reload(self.graph)

    async def override(self, left: RecordKey, right: RecordKey, verdict: Verdict, by: str) -> None:
        """Keep ``by``'s verdict on two records in the graph, and serve the result (raises
        :class:`~connectors.resolution.ResolutionError` for one that contradicts others)."""
        if self.graph is None:
            raise ResolutionError("this directory keeps no identity graph to record verdicts in")
        async with self._changing:
            await self.graph.override(left, right, verdict, by=by)
            await self._reload(self.graph)

    async def _reload(self, graph: IdentityGraph) -> None:
        """The lookups made again from ``graph``, away from the event loop (at a million
        contacts that takes seconds: Slack's acknowledgements go on meanwhile), then swapped
        in at once. Nothing changes the graph meanwhile: each change holds ``_changing``;
        lookups answer from the lookups before until then. The lookups replaced are let go
        of aside too, once nothing reads them (:meth:`_Lookups.let_go`)."""
        made = await self._offload(_lookups_of, graph)
        before, self._lookups = self._lookups, made
        await self._offload(before.let_go)

    def accounts(self) -> list[AccountRef]:
        """Every CRM account with its links, in CRM order."""
        return list(self._lookups.accounts)

    def account(self, account_id: str) -> AccountRef | None:
        """The account with this unified id (the CRM id), if any."""
        return self._lookups.by_id.get(account_id)

    def find_employee(self, email: str) -> Employee | None:
        """The employee with this email address, ignoring case."""
        return self._lookups.employees.get(email.strip().lower())

    def person_name(self, email: str) -> str | None:
        """The name of the employee or customer contact with this email, if known."""
        key = email.strip().lower()
        employee = self._lookups.employees.get(key)
        return employee.name if employee is not None else self._lookups.contacts.get(key)

    def manager_of(self, email: str) -> Employee | None:
        """The employee's manager; None at the top of the org chart or for someone unknown."""
        employee = self.find_employee(email)
        if employee is None or employee.manager_email is None:
            return None
        return self.find_employee(employee.manager_email)

    def account_owner(self, account_id: str) -> Employee | None:
        """The employee who owns the account in the CRM, if any (a :class:`People`)."""
        owner = self._lookups.owners.get(account_id)
        return None if owner is None else self.find_employee(owner)

    def find_in(self, text: str) -> list[CustomerMention]:
        """Every customer named anywhere in ``text`` (a :class:`CustomerFinder`)."""
        return self._lookups.mentions.find_in(text)

    def close_to(self, name: str) -> list[AccountRef]:
        """Customers whose names are plausibly what ``name`` meant; none when nothing is close."""
        return self._lookups.mentions.close_to(name)

    def resolve_account(self, query: str) -> AccountResolution:
        """Which customer ``query`` (an account id, a name, domain, email address or tenant id)
        means."""
        text = query.strip()
        by_domain = self._lookups.by_id.get(text) or (
            self._lookups.by_key.get(_squash(text.rpartition("@")[2])) if text else None
        )
        if by_domain is not None:
            return AccountResolution(query=query, status="found", account=by_domain)
        wanted = normalize_name(text)
        if not wanted:
            return AccountResolution(query=query, status="not_found")
        return self._fuzzy(query, wanted)

    def _fuzzy(self, query: str, wanted: str) -> AccountResolution:
        exact = _unique(self._lookups.by_alias.get(wanted, []))
        if len(exact) == 1:
            return AccountResolution(query=query, status="found", account=exact[0])
        ranked = self._ranked(wanted, _score)
        best = ranked[0][0] if ranked else 0.0
        close = [a for score, a in ranked if score >= max(FOUND_SCORE, best - AMBIGUITY_MARGIN)]
        if len(close) == 1:
            return AccountResolution(query=query, status="found", account=close[0])
        if close:
            names = [a.name for a in close[:MAX_CANDIDATES]]
            return AccountResolution(query=query, status="ambiguous", candidates=names)
        suggestions = [a.name for a in self._lookups.mentions.close_to(wanted)]
        return AccountResolution(query=query, status="not_found", candidates=suggestions)

    def _ranked(self, wanted: str, scorer: Scorer) -> list[tuple[float, AccountRef]]:
        """Accounts by their best alias's score, highest first, ties by name. The directory
        scores only the aliases that can reach the "found" score
        (:mod:`connectors.shortlist`): below it, the ranking decides nothing."""
        best: dict[str, tuple[float, AccountRef]] = {}
        aliases = [self._lookups.aliases[i] for i in self._lookups.shortlist.candidates(wanted)]
        for alias, account in aliases:
            score = scorer(wanted, alias)
            if score > best.get(account.account_id, (-1.0, account))[0]:
                best[account.account_id] = (score, account)
        return sorted(best.values(), key=lambda item: (-item[0], item[1].name))


@dataclass(frozen=True)
class _Lookups:
    """What the directory answers from, made in one go from a :class:`DirectorySource` and
    swapped in whole: a lookup sees the directory before a change or after it."""

    accounts: list[AccountRef]
    by_id: dict[str, AccountRef]
    by_key: dict[str, AccountRef]
    aliases: list[tuple[str, AccountRef]]
    by_alias: dict[str, list[AccountRef]]
    shortlist: AliasShortlist
    employees: dict[str, Employee]
    owners: dict[str, str]
    contacts: dict[str, str]
    mentions: MentionIndex

    def let_go(self) -> None:
        """Empty the biggest of these a piece at a time (:mod:`connectors.release`): a
        lookup still running on them when they were swapped out has finished, as lookups
        run on the event loop and this runs after the swap."""
        empty_in_pieces(self.contacts, self.by_key, self.by_alias, self.aliases)
        self.mentions.let_go()

    @classmethod
    def of(cls, source: DirectorySource) -> _Lookups:
        # Millions of objects that all live on: the collector's passes would walk them.
        with lasting():
            domain_systems = frozenset(source.domain_systems)
            accounts = [_crm_linked(a) for a in source.accounts]
            by_id = {a.account_id: a for a in accounts}
            by_key = {_squash(k): a for a in accounts for k in _domain_keys(a, domain_systems)}
            records = _records_by_link(source.records)
            aliases = [(alias, a) for a in accounts for alias in _aliases(a, records)]
            by_alias: dict[str, list[AccountRef]] = {}
            names: dict[str, list[str]] = {}
            for alias, account in aliases:
                by_alias.setdefault(alias, []).append(account)
                names.setdefault(account.account_id, []).append(alias)
            shortlist = AliasShortlist(
                [alias for alias, _ in aliases],
                found=FOUND_SCORE,
                word=WORD_SCORE,
                no_words=_STOPWORDS,
            )
            index = IndexSource(
                accounts=by_id,
                names=names,
                contacts=[(normalize_name(c.name), c.email, c.account_id) for c in source.contacts],
                domain_of=lambda address: by_key.get(_squash(address.rpartition("@")[2])),
            )
            return cls(
                accounts=accounts,
                by_id=by_id,
                by_key=by_key,
                aliases=aliases,
                by_alias=by_alias,
                shortlist=shortlist,
                employees={e.email.lower(): e for e in source.employees},
                owners={a: e.lower() for a, e in source.account_owners.items()},
                contacts={c.email.lower(): c.name for c in source.contacts if c.name},
                mentions=MentionIndex(index, normalize_name),
            )


def _lookups_of(graph: IdentityGraph) -> _Lookups:
    return _Lookups.of(_graph_source(graph))


def _score(wanted: str, alias: str) -> float:
    """Similarity 0-100 of whole strings, or of words when each query word is (nearly) one
    of the alias's words: "summit helth" scores high against "summit health systems", while
    "acme health" does not match "acme"."""
    score = fuzz.ratio(wanted, alias)
    if len(wanted) < 3 or wanted in _STOPWORDS:
        return score
    alias_words = alias.split()
    best = [max(fuzz.ratio(word, a) for a in alias_words) for word in wanted.split()]
    if min(best) >= WORD_SCORE:
        score = max(score, sum(best) / len(best))
    return score


def _unique(accounts: Iterable[AccountRef]) -> list[AccountRef]:
    return list({a.account_id: a for a in accounts}.values())


def _domain_keys(account: AccountRef, systems: frozenset[str]) -> list[str]:
    return [account.domain] + [v for k, v in account.links.items() if k in systems]


def _records_by_link(records: Sequence[SystemRecord]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for r in records:
        out.setdefault((r.system, r.id), []).append(r.name)
    return out


def _aliases(account: AccountRef, records: Mapping[tuple[str, str], list[str]]) -> set[str]:
    names = {account.name, account.domain.split(".")[0]}
    for link in account.links.items():
        names.update(records.get(link, ()))
    return {normalize_name(n) for n in names} - {""}


def _crm_linked(account: AccountRef) -> AccountRef:
    if "crm" in account.links:
        return account
    return account.model_copy(update={"links": {"crm": account.account_id, **account.links}})


async def open_directory(
    engine: AsyncEngine, source: IdentitySource, *, clock: Clock | None = None
) -> IdentityDirectory:
    """The directory served from the identity graph on ``engine``: built from ``source`` the
    first time, loaded and refreshed with what changed since at every later start."""
    graph = await IdentityGraph.open(engine, source, clock=clock)
    change = graph.last
    log.info(
        "identity.graph_ready",
        how=change.how,
        changed=change.changed,
        resolved=change.resolved,
        entities=len(graph.entities),
        ms=round(change.seconds * 1000),
    )
    return IdentityDirectory.from_graph(graph)


def _graph_source(graph: IdentityGraph) -> DirectorySource:
    """What the directory is made of, from ``graph``, made with the collector paused (an
    object per record and per contact, kept until the lookups are made of them)."""
    with paused_gc():
        return directory_source(graph.account_system, graph.records_by_key(), graph.employees)


def directory_source(
    account_system: str,
    records: Mapping[RecordKey, tuple[SourceRecord, str]],
    employees: Sequence[Employee],
) -> DirectorySource:
    """The directory's view of resolved records (each with its entity id): an account per
    company record of ``account_system``, linked to the first record of each other system in
    its entity; a contact per email address of a person entity, at the account of the
    company one of its records belongs to."""
    members: dict[str, list[SourceRecord]] = {}
    for record, entity in records.values():
        members.setdefault(entity, []).append(record)
    accounts = _accounts(account_system, records, members)
    account_of_entity = {records[(account_system, a.account_id)][1]: a for a in accounts}
    return DirectorySource(
        accounts=accounts,
        records=[
            SystemRecord(r.record.system, r.record.record_id, r.record.name)
            for r, _ in records.values()
            if r.record.kind == "company" and r.record.name and r.record.system != account_system
        ],
        domain_systems=_domain_systems(records.values()),
        employees=employees,
        contacts=_contacts(records, members, account_of_entity),
        account_owners={
            a.account_id: owner
            for a in accounts
            if (owner := records[(account_system, a.account_id)][0].owner) is not None
        },
    )


def _accounts(
    system: str,
    records: Mapping[RecordKey, tuple[SourceRecord, str]],
    members: Mapping[str, list[SourceRecord]],
) -> list[AccountRef]:
    out = []
    for key in sorted(k for k, (r, _) in records.items() if k[0] == system):
        record, entity = records[key]
        if record.record.kind != "company":
            continue
        links = {system: key[1]}
        for other in sorted(members[entity], key=lambda r: r.key):
            links.setdefault(other.key[0], other.key[1])
        name, domain = record.record.name or key[1], record.record.domain or ""
        out.append(AccountRef(account_id=key[1], name=name, domain=domain, links=links))
    return out


def _domain_systems(records: Iterable[tuple[SourceRecord, str]]) -> dict[str, frozenset[str]]:
    """Systems that know companies by domain only (a mailbox, product tenants)."""
    named: set[str] = set()
    ids: dict[str, set[str]] = {}
    for r, _ in records:
        if r.record.kind == "company":
            ids.setdefault(r.record.system, set()).add(r.record.record_id)
            if r.record.name:
                named.add(r.record.system)
    return {s: frozenset(i) for s, i in ids.items() if s not in named}


def _contacts(
    records: Mapping[RecordKey, tuple[SourceRecord, str]],
    members: Mapping[str, list[SourceRecord]],
    accounts: Mapping[str, AccountRef],
) -> list[ContactRecord]:
    """Each email address of a person, at the account of the company its own record belongs
    to, else of the company another record of the same person belongs to."""
    out = []
    for people in members.values():
        if people[0].record.kind != "person":
            continue
        ordered = sorted(people, key=lambda r: r.key)
        name = next((r.record.name for r in ordered if r.record.name), "")
        shared = next((a for r in ordered if (a := _account_of(r, records, accounts))), None)
        emails: dict[str, AccountRef] = {}
        for r in ordered:
            account = _account_of(r, records, accounts) or shared
            if r.record.email and account is not None:
                emails.setdefault(r.record.email, account)
        out += [ContactRecord(name, e, a.account_id) for e, a in sorted(emails.items())]
    return out


def _account_of(
    record: SourceRecord,
    records: Mapping[RecordKey, tuple[SourceRecord, str]],
    accounts: Mapping[str, AccountRef],
) -> AccountRef | None:
    parent = records.get(record.parent) if record.parent else None
    return None if parent is None else accounts.get(parent[1])


async def build_directory(source: IdentitySource) -> IdentityDirectory:
    """A directory resolved in memory from ``source``'s records, kept nowhere: for a
    one-off look (tests, a command that only reads); a server keeps an identity graph.

    The same records resolve to the same entities, so the last few answers are kept by a
    digest of the records (their JSON, each a whole object) and not fitted again."""
    snapshot = await source.records()
    digest = hashlib.sha256()
    for r in snapshot.records:
        digest.update(r.dumped())
    entity_of = _RESOLVED.get(digest.hexdigest())
    if entity_of is None:
        resolution = Resolver(LINKING).resolve([r.record for r in snapshot.records])
        entity_of = {k: e.entity_id for e in resolution.entities for k in e.records}
        while len(_RESOLVED) >= RESOLVED_KEPT:
            _RESOLVED.pop(next(iter(_RESOLVED)))
        _RESOLVED[digest.hexdigest()] = entity_of
    records = {r.key: (r, entity_of[r.key]) for r in snapshot.records}
    return IdentityDirectory(directory_source(snapshot.account_system, records, snapshot.employees))

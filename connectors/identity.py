"""Identity linking: which record in each system is the same customer, and who is who.

The directory is an in-memory index built once from the systems' customer lists. A CRM
account is linked to another system's record when their names agree after normalisation
(case, punctuation, ``&``, trailing legal forms), or by domain for systems that know customers
only by domain (mailbox, product-usage tenants). Lookups never call a system.

Resolution order for a query: an account id, or an exact domain (or email address, or tenant
id) wins; then an exact normalised name; then fuzzy matching, which answers "found" only for
one clear winner, "ambiguous" for several close ones, and otherwise "not_found" with up to
three plausible suggestions (or none). The directory also finds the customers a whole message
names (:meth:`IdentityDirectory.find_in`, see :mod:`connectors.mentions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from rapidfuzz import fuzz
from sqlalchemy import RowMapping, select

from connectors.demo import schema
from connectors.demo.store import DemoWorld
from connectors.mentions import IndexSource, MentionIndex
from workflows.domain import AccountRef, AccountResolution, CustomerMention, Employee

LEGAL_SUFFIXES: Final = frozenset(
    {"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited"}
    | {"llc", "llp", "gmbh", "plc", "sa", "ag"}
)
FOUND_SCORE: Final = 85.0
AMBIGUITY_MARGIN: Final = 5.0
LINK_SCORE: Final = 92.0
WORD_SCORE: Final = 80.0
MAX_CANDIDATES: Final = 5
Scorer = Callable[[str, str], float]
_STOPWORDS: Final = frozenset({"and", "the", "of", "co", "op"})


def normalize_name(name: str) -> str:
    """``"Acme Corporation, Inc."`` → ``"acme"``: lower case, no punctuation or legal forms."""
    words = re.sub(r"[^\w\s]", " ", name.lower().replace("&", " and ")).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


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
    """A person at a customer, as the CRM knows them: ``("Alex Morgan", "alex.morgan@acme.io",
    "acct-0001")``."""

    name: str
    email: str
    account_id: str


@dataclass(frozen=True)
class DirectorySource:
    """What the directory is built from. ``accounts`` are the CRM's, without links yet;
    ``domain_systems`` maps a system that knows customers by domain to the ids it has."""

    accounts: Sequence[AccountRef]
    records: Sequence[SystemRecord]
    domain_systems: dict[str, frozenset[str]]
    employees: Sequence[Employee]
    contacts: Sequence[ContactRecord] = ()
    account_owners: Mapping[str, str] = field(default_factory=dict)  # account id -> email


class IdentityDirectory:
    """Customer accounts linked across systems, and the seller's employees: who reports to
    whom and who owns which account (a :class:`~workflows.ports.People`)."""

    def __init__(self, source: DirectorySource) -> None:
        self._accounts = [_link(a, source) for a in source.accounts]
        self._by_id = {a.account_id: a for a in self._accounts}
        self._by_key = {_squash(k): a for a in self._accounts for k in _domain_keys(a)}
        self._aliases = [(alias, a) for a in self._accounts for alias in _aliases(a, source)]
        self._employees = {e.email.lower(): e for e in source.employees}
        self._owners = {a: e.lower() for a, e in source.account_owners.items()}
        self._contacts = {c.email.lower(): c.name for c in source.contacts}
        self._mentions = MentionIndex(self._index_source(source.contacts), normalize_name)

    def _index_source(self, contacts: Sequence[ContactRecord]) -> IndexSource:
        names: dict[str, list[str]] = {}
        for alias, account in self._aliases:
            names.setdefault(account.account_id, []).append(alias)
        return IndexSource(
            accounts=self._by_id,
            names=names,
            contacts=[(normalize_name(c.name), c.email, c.account_id) for c in contacts],
            domain_of=lambda address: self._by_key.get(_squash(address.rpartition("@")[2])),
        )

    def accounts(self) -> list[AccountRef]:
        """Every CRM account with its links, in CRM order."""
        return list(self._accounts)

    def account(self, account_id: str) -> AccountRef | None:
        """The account with this unified id (the CRM id), if any."""
        return self._by_id.get(account_id)

    def find_employee(self, email: str) -> Employee | None:
        """The employee with this email address, ignoring case."""
        return self._employees.get(email.strip().lower())

    def person_name(self, email: str) -> str | None:
        """The name of the employee or customer contact with this email, if known."""
        key = email.strip().lower()
        employee = self._employees.get(key)
        return employee.name if employee is not None else self._contacts.get(key)

    def manager_of(self, email: str) -> Employee | None:
        """The employee's manager; None at the top of the org chart or for someone unknown."""
        employee = self.find_employee(email)
        if employee is None or employee.manager_email is None:
            return None
        return self.find_employee(employee.manager_email)

    def account_owner(self, account_id: str) -> Employee | None:
        """The employee who owns the account in the CRM, if any (a :class:`People`)."""
        owner = self._owners.get(account_id)
        return None if owner is None else self.find_employee(owner)

    def find_in(self, text: str) -> list[CustomerMention]:
        """Every customer named anywhere in ``text`` (a :class:`CustomerFinder`)."""
        return self._mentions.find_in(text)

    def close_to(self, name: str) -> list[AccountRef]:
        """Customers whose names are plausibly what ``name`` meant; none when nothing is close."""
        return self._mentions.close_to(name)

    def resolve_account(self, query: str) -> AccountResolution:
        """Which customer ``query`` (an account id, a name, domain, email address or tenant id)
        means."""
        text = query.strip()
        by_domain = self._by_id.get(text) or (
            self._by_key.get(_squash(text.rpartition("@")[2])) if text else None
        )
        if by_domain is not None:
            return AccountResolution(query=query, status="found", account=by_domain)
        wanted = normalize_name(text)
        if not wanted:
            return AccountResolution(query=query, status="not_found")
        return self._fuzzy(query, wanted)

    def _fuzzy(self, query: str, wanted: str) -> AccountResolution:
        exact = _unique(a for alias, a in self._aliases if alias == wanted)
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
        suggestions = [a.name for a in self._mentions.close_to(wanted)]
        return AccountResolution(query=query, status="not_found", candidates=suggestions)

    def _ranked(self, wanted: str, scorer: Scorer) -> list[tuple[float, AccountRef]]:
        """Accounts by their best alias's score, highest first, ties by name."""
        best: dict[str, tuple[float, AccountRef]] = {}
        for alias, account in self._aliases:
            score = scorer(wanted, alias)
            if score > best.get(account.account_id, (-1.0, account))[0]:
                best[account.account_id] = (score, account)
        return sorted(best.values(), key=lambda item: (-item[0], item[1].name))


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


def _domain_keys(account: AccountRef) -> list[str]:
    keys = [account.domain]
    keys += [v for k, v in account.links.items() if k in ("email", "usage")]
    return keys


def _aliases(account: AccountRef, source: DirectorySource) -> set[str]:
    names = {account.name, account.domain.split(".")[0]}
    names |= {r.name for r in source.records if account.links.get(r.system) == r.id}
    return {normalize_name(n) for n in names} - {""}


def _link(account: AccountRef, source: DirectorySource) -> AccountRef:
    links = {"crm": account.account_id}
    for system, ids in source.domain_systems.items():
        found = next((i for i in sorted(ids) if _squash(i) == _squash(account.domain)), None)
        if found is not None:
            links[system] = found
    for system in sorted({r.system for r in source.records}):
        record = _match(account.name, [r for r in source.records if r.system == system])
        if record is not None:
            links[system] = record.id
    return account.model_copy(update={"links": links})


def _match(name: str, records: list[SystemRecord]) -> SystemRecord | None:
    wanted = normalize_name(name)
    exact = [r for r in records if normalize_name(r.name) == wanted]
    if exact:
        return exact[0]
    near = [r for r in records if fuzz.ratio(wanted, normalize_name(r.name)) >= LINK_SCORE]
    return near[0] if len(near) == 1 else None


async def build_directory(world: DemoWorld) -> IdentityDirectory:
    """The directory of the demo world's systems, read once from its database."""
    tables = [schema.crm_accounts, schema.crm_users, schema.support_orgs, schema.contracts]
    tables += [schema.billing_customers, schema.mail_threads, schema.crm_contacts]
    async with world.engine.connect() as conn:
        rows = {t.name: (await conn.execute(select(t))).mappings().all() for t in tables}
        tenants = await conn.scalars(select(schema.usage_daily.c.tenant).distinct())
        return IdentityDirectory(_demo_source(rows, frozenset(tenants)))


def _demo_source(rows: dict[str, Sequence[RowMapping]], tenants: frozenset[str]) -> DirectorySource:
    records = [SystemRecord("support", r["id"], r["name"]) for r in rows["support_orgs"]]
    records += [SystemRecord("contracts", r["id"], r["customer_name"]) for r in rows["contracts"]]
    records += [SystemRecord("billing", r["id"], r["name"]) for r in rows["billing_customers"]]
    mail = frozenset(p.rpartition("@")[2] for r in rows["mail_threads"] for p in r["participants"])
    accounts = [
        AccountRef(account_id=r["id"], name=r["name"], domain=r["domain"])
        for r in rows["crm_accounts"]
    ]
    return DirectorySource(
        accounts=accounts,
        records=records,
        domain_systems={"email": mail, "usage": tenants},
        employees=[Employee.model_validate(dict(r)) for r in rows["crm_users"]],
        contacts=[
            ContactRecord(r["name"], r["email"], r["account_id"]) for r in rows["crm_contacts"]
        ],
        account_owners={r["id"]: r["owner_email"] for r in rows["crm_accounts"]},
    )

"""A record's normalised features, computed once so that comparing a pair and building
blocking keys are lookups, not parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectors.resolution import normalise as norm
from connectors.resolution.records import Kind, Record


@dataclass(slots=True)
class Features:
    """What comparisons and blocking read. ``""`` (or empty) means missing. Made once per
    record and never changed, nor are its mappings (``dates`` is the record's own). Not
    frozen: a frozen dataclass sets each field through ``object.__setattr__``, a cost every
    record of a million-record build pays.

    ``domain`` is the organisation's domain: the record's own, else its email's unless that
    is a free-mail provider (so a gmail address never makes two companies share a domain)."""

    kind: Kind
    first: str
    first_group: frozenset[str]
    last: str
    last_code: str
    email: str
    email_local: str
    email_domain: str
    domain: str
    domain_stem: str
    phone: str
    company: str
    company_squashed: str
    company_token: str
    address: str
    dates: dict[str, date]
    identifiers: dict[str, str]


def features(record: Record, *, country_code: str = "1") -> Features:
    """The features of ``record``; a company without ``name`` uses ``company_name``.

    A field the record lacks is not passed to its normaliser (each call costs, and most
    records lack most fields); a record without dates or identifiers shares its own empty
    mappings rather than getting new ones (a million records, a million empty dicts)."""
    kind = record.kind
    name, mail, site, phone, address = (
        record.name,
        record.email,
        record.domain,
        record.phone,
        record.address,
    )
    first, last = norm.person_name(name) if kind == "person" and name else ("", "")
    local, mail_domain = norm.email(mail) if mail else ("", "")
    org_domain = norm.domain(site) if site else ""
    if not org_domain and mail_domain and not norm.is_free_mail(mail_domain):
        org_domain = mail_domain
    company_source = (name if kind == "company" else None) or record.company_name
    company = norm.company_name(company_source) if company_source else ""
    ids = record.identifiers
    return Features(  # by position, in field order: keywords cost a microsecond a record
        kind,
        first,
        norm.first_name_group(first) if first else _NO_NAMES,
        last,
        norm.metaphone(last) if last else "",
        f"{local}@{mail_domain}" if local else "",
        local,
        mail_domain,
        org_domain,
        norm.domain_stem(org_domain) if org_domain else "",
        norm.phone(phone, country_code) if phone else "",
        company,
        norm.squash(company) if company else "",
        norm.company_token(company) if company else "",
        norm.address(address) if address else "",
        record.dates,
        {k: norm.identifier(v) for k, v in ids.items() if v.strip()} if ids else ids,
    )


_NO_NAMES: frozenset[str] = frozenset()

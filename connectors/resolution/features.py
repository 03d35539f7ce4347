"""A record's normalised features, computed once so that comparing a pair and building
blocking keys are lookups, not parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectors.resolution import normalise as norm
from connectors.resolution.records import Kind, Record


@dataclass(frozen=True, slots=True)
class Features:
    """What comparisons and blocking read. ``""`` (or empty) means missing.

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
    """The features of ``record``; a company without ``name`` uses ``company_name``."""
    first, last = norm.person_name(record.name) if record.kind == "person" else ("", "")
    local, mail_domain = norm.email(record.email)
    org_domain = norm.domain(record.domain)
    if not org_domain and mail_domain and not norm.is_free_mail(mail_domain):
        org_domain = mail_domain
    company_source = record.name if record.kind == "company" else record.company_name
    company = norm.company_name(company_source or record.company_name)
    return Features(
        kind=record.kind,
        first=first,
        first_group=norm.first_name_group(first),
        last=last,
        last_code=norm.metaphone(last),
        email=f"{local}@{mail_domain}" if local else "",
        email_local=local,
        email_domain=mail_domain,
        domain=org_domain,
        domain_stem=norm.domain_stem(org_domain) if org_domain else "",
        phone=norm.phone(record.phone, country_code),
        company=company,
        company_squashed=norm.squash(company),
        company_token=norm.company_token(company),
        address=norm.address(record.address),
        dates=dict(record.dates),
        identifiers={k: norm.identifier(v) for k, v in record.identifiers.items() if v.strip()},
    )

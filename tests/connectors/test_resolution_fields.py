"""Entity resolution, field by field: normalisers, comparison levels and blocking keys."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.resolution import Record, features, keys
from connectors.resolution import compare as cmp
from connectors.resolution import normalise as norm


def person(name: str | None = None, **fields: object) -> Record:
    return Record.model_validate(
        {"system": "t", "record_id": "p", "kind": "person", "name": name} | fields
    )


def company(name: str | None = None, **fields: object) -> Record:
    return Record.model_validate(
        {"system": "t", "record_id": "c", "kind": "company", "name": name} | fields
    )


@pytest.mark.parametrize(
    "name", ["Acme Corporation", "ACME Corp.", "Acme, Inc.", "The Acme Co., Inc.", "acme llc"]
)
def test_company_names_lose_legal_forms_case_and_punctuation(name: str) -> None:
    assert norm.company_name(name) == "acme"


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("AKZO NOBEL N. V.", "akzo nobel"),  # initials are one word, then a legal form
        ("I.B.M. Corp", "ibm"),
        ("N.V. Philips' Gloeilampenfabrieken", "philips gloeilampenfabrieken"),  # form first
        ("PT Astra International Tbk", "astra international tbk"),
        ("Akzo Nobel N.V., Arnhem", "akzo nobel"),  # a place after the legal form
        ("Unilever PLC; Unilever N.V.", "unilever"),  # a second name after it
        ("Hitachi Storage Netherlands, B.V.", "hitachi storage netherlands"),
        ("Skadden, Arps, Slate, Meagher & Flom LLP", "skadden arps slate meagher and flom"),
        ("Inc.", "inc"),  # only a legal form: kept
    ],
)
def test_company_names_from_real_registers(name: str, cleaned: str) -> None:
    assert norm.company_name(name) == cleaned


def test_a_company_name_keeps_its_other_words() -> None:
    assert norm.company_name("Blue Harbor Logistics, LLC") == "blue harbor logistics"
    assert norm.company_name("Acme Health GmbH") == "acme health"


@pytest.mark.parametrize(
    "raw",
    ["(415) 555-0100", "+1 415.555.0100", "001 415 555 0100", "1-415-555-0100", "415-555-0100 x23"],
)
def test_phones_in_any_format_become_digits_with_the_country_code(raw: str) -> None:
    assert norm.phone(raw) == "14155550100"


def test_a_foreign_number_keeps_its_own_country_code() -> None:
    assert norm.phone("+44 20 7946 0958") == "442079460958"
    assert norm.phone("12") == ""


def test_person_names_in_either_order() -> None:
    assert norm.person_name("Smith, John") == ("john", "smith")
    assert norm.person_name("John Q. Smith") == ("john", "smith")
    assert norm.person_name("Smith") == ("", "smith")


def test_emails_and_domains() -> None:
    assert norm.email("J.Doe+crm@Gmail.com") == ("jdoe", "gmail.com")
    assert norm.email("not an address") == ("", "")
    assert norm.domain("https://www.Acme.io/about") == "acme.io"
    assert norm.domain_stem("shop.acme.co.uk") == "acme"


def test_a_nickname_is_the_same_first_name() -> None:
    bob, robert = features(person("Bob Smyth")), features(person("Robert Smith"))
    assert cmp.first_name(bob, robert) == 1  # nickname
    assert cmp.last_name(bob, robert) == 1  # close: one letter
    assert cmp.first_name(features(person("Jon Smith")), robert) == 4
    rob = features(person("Rob Smith"))
    assert cmp.first_name(rob, bob) == 1  # both short for Robert


def test_a_long_name_listed_as_a_nickname_does_not_join_two_names() -> None:
    # The list has "bill" with the nickname "robert" and "bill" for William too.
    robert, william = features(person("Robert Smith")), features(person("William Smith"))
    assert cmp.first_name(robert, william) == 4
    assert cmp.first_name(features(person("Bill Smith")), william) == 1


def test_a_missing_field_is_missing_not_disagreement() -> None:
    a, b = features(person("Ann Lee", email="ann@x.io")), features(person("Ann Lee"))
    assert cmp.email(a, b) == cmp.MISSING
    assert cmp.phone(a, b) == cmp.MISSING


def test_free_mail_never_gives_an_organisation_domain() -> None:
    f = features(company("Harbor Plumbing", email="harbor.plumbing@gmail.com"))
    assert f.domain == ""
    assert not any("gmail" in k for k in keys(f))
    g = features(company("Summit Bakery", email="summit.bakery@gmail.com"))
    assert cmp.domain(f, g) == cmp.MISSING
    ann, bob = (
        features(person("Ann Lee", email="ann@gmail.com")),
        features(person("Bob Ray", email="bob@gmail.com")),
    )
    assert cmp.email(ann, bob) == 3  # far: gmail.com is not an employer


def test_a_work_email_and_a_home_email_with_the_same_local_part() -> None:
    work = features(person("Ann Lee", email="annlee@acme.io"))
    home = features(person("Ann Lee", email="annlee@gmail.com"))
    other_job = features(person("Ann Lee", email="annlee@globex.com"))
    assert cmp.email(work, home) == 1
    assert cmp.email(work, other_job) == 3
    assert cmp.email(work, features(person("Bo Chan", email="bo@acme.io"))) == 2


def test_company_domain_levels() -> None:
    io, com = features(company(domain="acme.io")), features(company(domain="www.acme.com"))
    assert cmp.domain(io, features(company(email="ops@acme.io"))) == 0
    assert cmp.domain(io, com) == 1
    assert cmp.domain(io, features(company(domain="globex.com"))) == 2


def test_company_name_levels() -> None:
    acme = features(company("Acme Corporation"))
    assert cmp.company(acme, features(company("ACME Corp."))) == 0
    globex = features(company("Globex Corporation"))
    assert cmp.company(globex, features(company("Glbex Corp"))) == 1  # a typo
    assert (
        cmp.company(features(company("Harbor Blue Foods")), features(company("Blue Harbor Foods")))
        == 1
    )
    assert cmp.company(acme, features(company("Acme Health Inc"))) == 2
    akzo = features(company("Akzo Nobel N.V."))
    assert cmp.company(akzo, features(company("AKZO NOBLE NV"))) == 1  # letters swapped
    assert cmp.company(features(company("Unilever")), features(company("UNILVR NV"))) == 3
    philips = features(company("Koninklike Philips Electronics"))
    assert cmp.company(philips, features(company("Phillips Electronics"))) == 3  # inside, a typo
    assert cmp.company(acme, features(company("Globex"))) == 4
    assert cmp.company(features(company("Acme")), features(company("Acmex Holdings"))) == 4


def test_addresses_dates_and_identifiers() -> None:
    a = features(
        company(
            address="12 Main Street, Suite 4",
            dates={"founded": date(2001, 3, 4)},
            identifiers={"duns": "12-345"},
        )
    )
    b = features(
        company(
            address="12 main st ste 4",
            dates={"founded": date(2001, 4, 3)},
            identifiers={"duns": "12345"},
        )
    )
    c = features(
        company(
            address="9 Elm Road", dates={"founded": date(1990, 1, 1)}, identifiers={"duns": "999"}
        )
    )
    assert (cmp.address(a, b), cmp.dates(a, b), cmp.identifiers(a, b)) == (0, 1, 0)
    assert (cmp.address(a, c), cmp.dates(a, c), cmp.identifiers(a, c)) == (3, 2, 2)
    typo = features(company(address="12 Main Street", identifiers={"duns": "12354"}))
    assert (cmp.address(a, typo), cmp.identifiers(a, typo)) == (1, 1)  # a part left out; a swap
    assert cmp.identifiers(a, features(company(identifiers={"vat": "12345"}))) == cmp.MISSING


def test_blocking_keys_meet_across_nicknames_typos_and_suffixes() -> None:
    bob = keys(features(person("Bob Smyth", email="bob.smyth@acme.io")))
    robert = keys(features(person("Robert Smith", email="robert.smith@acme.io")))
    assert bob & robert  # metaphone SM0 with initial "r" (Bob's canonical Robert)
    corp = keys(features(company("ACME Corp.")))
    mailbox = keys(features(company(domain="acme.io")))
    assert corp & mailbox  # "acme" as a squashed name and as a domain stem
    assert keys(features(company("Bold Field Parlners"))) & keys(
        features(company("Bold Field Partners LLC"))
    )
    assert not keys(features(person("Ann Lee"))) & keys(features(company("Ann Lee")))

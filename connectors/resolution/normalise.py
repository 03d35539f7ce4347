"""Field normalisers: each turns what a system typed into the form comparisons and blocking
keys use. They never fail on odd input; what cannot be read becomes ``""`` (missing)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Final

import jellyfish
from cleanco import prepare_default_terms
from nicknames import NickNamer

FREE_MAIL: Final = frozenset(
    {"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com"}
    | {"live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me"}
    | {"protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.ru", "qq.com"}
    | {"163.com", "zoho.com", "fastmail.com", "hey.com", "comcast.net", "verizon.net"}
)
"""Mail providers anyone can sign up to: sharing one says nothing about an employer."""

SECOND_LEVEL: Final = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd"})
ADDRESS_WORDS: Final = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "suite": "ste",
    "floor": "fl",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "place": "pl",
    "court": "ct",
    "square": "sq",
}
_NON_WORD = re.compile(r"[^\w\s]")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
_SCHEME = re.compile(r"^[a-z]+://")
_EXTENSION = re.compile(r"(?i)\s*(?:ext\.?|x|#)\s*\d+\s*$")
_NON_DIGIT = re.compile(r"\D")
_COMPANY_STOPWORDS: Final = frozenset({"the", "and", "of"})
_LEADING_FORMS: Final = frozenset(
    {"nv", "bv", "pt", "ooo", "oao", "zao", "pao", "uab", "sia", "tov"}
)
"""Legal forms that some countries write before the name ("N.V. Philips", "PT Astra")."""
_NAME_PARTS: Final = re.compile(r"[,;()\[\]]|\s[-–]\s")


@cache
def nicknamer() -> NickNamer:
    """The nickname list of the ``nicknames`` package, loaded once on first use."""
    return NickNamer()


def plain(text: str | None) -> str:
    """Lower case, accents removed, punctuation to spaces, spaces collapsed."""
    if not text:
        return ""
    lowered = text.lower().replace("&", " and ")
    if lowered.isascii():  # most text: nothing to fold
        ascii_only = lowered
    else:
        folded = unicodedata.normalize("NFKD", lowered)
        ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    return " ".join(_NON_WORD.sub(" ", ascii_only).split())


def squash(text: str) -> str:
    """Only letters and digits: ``"ACME Corp."`` → ``"acmecorp"``."""
    return _NON_ALNUM.sub("", text.lower())


def person_name(name: str | None) -> tuple[str, str]:
    """``(first, last)`` in lower case: "Smith, John" and "John Q. Smith" both give
    ``("john", "smith")``; a single word is a last name, unless a comma says otherwise
    (", John" is a first name only)."""
    return _person_name(name) if name else ("", "")


@lru_cache(maxsize=1 << 16)
def _person_name(name: str) -> tuple[str, str]:
    if "," in name:
        last, _, first = name.partition(",")
        firsts, lasts = plain(first).split(), plain(last).split()
        if firsts or lasts:
            return (firsts[0] if firsts else "", lasts[-1] if lasts else "")
    words = plain(name).split()
    if not words:
        return ("", "")
    if len(words) == 1:
        return ("", words[0])
    return (words[0], words[-1])


@lru_cache(maxsize=1 << 16)
def first_name_group(first: str) -> frozenset[str]:
    """The name and its canonical forms in the ``nicknames`` package's list, for blocking:
    "bob" also files under "robert"."""
    if not first:
        return frozenset()
    return frozenset({first} | nicknamer().canonicals_of(first))


@lru_cache(maxsize=1 << 16)
def metaphone(word: str) -> str:
    """The metaphone code of ``word`` (``""`` for ``""``), cached: names repeat."""
    return jellyfish.metaphone(word) if word else ""


@lru_cache(maxsize=1 << 18)
def same_first_name(a: str, b: str) -> bool:
    """Whether two different first names are one name: one is a canonical form of the other
    ("bob", "robert"), or both are nicknames of a longer name ("rob", "bob" → "robert").

    The list also records some long names as nicknames of short ones ("bill" has the
    nickname "robert"), so a shared canonical no longer than either name does not count:
    otherwise "robert" and "william" would be one name through "bill"."""
    a_canon, b_canon = nicknamer().canonicals_of(a), nicknamer().canonicals_of(b)
    if b in a_canon or a in b_canon:
        return True
    longest = max(len(a), len(b))
    return any(len(c) > longest for c in a_canon & b_canon)


def email(address: str | None) -> tuple[str, str]:
    """``(local, domain)``, lower case; ``+tags`` dropped, and Gmail's dots."""
    if not address:
        return ("", "")
    text = address.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        return ("", "")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
    return (local, domain)


def is_free_mail(domain: str) -> bool:
    """Whether ``domain`` is a public mail provider (gmail.com, outlook.com, …)."""
    return domain in FREE_MAIL


def domain(text: str | None) -> str:
    """``"https://www.Acme.io/about"`` → ``"acme.io"``; an email address gives its domain."""
    if not text:
        return ""
    value = text.strip().lower().rpartition("@")[2]
    if "://" in value:
        value = _SCHEME.sub("", value)
    value = value.split("/", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.").strip(".")
    return value if "." in value else ""


def domain_stem(value: str) -> str:
    """The registrable label: ``"acme.io"`` → ``"acme"``, ``"shop.acme.co.uk"`` → ``"acme"``."""
    labels = value.split(".")
    if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else ""


def phone(text: str | None, country_code: str = "1") -> str:
    """Digits with the country code: ``"(415) 555-0100"``, ``"+1 415.555.0100"`` and
    ``"001 415 555 0100"`` all give ``"14155550100"``. A national number (ten digits, or a
    leading trunk ``0``) gets ``country_code``."""
    if not text:
        return ""
    raw = _EXTENSION.split(text.strip())[0]
    digits = _NON_DIGIT.sub("", raw)
    if len(digits) < 7:
        return ""
    if raw.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return country_code + digits[1:]
    if len(digits) == 10:
        return country_code + digits
    return digits


def company_name(name: str | None) -> str:
    """A company name without legal forms, case or punctuation: "Acme Corporation",
    "ACME Corp." and "The Acme Co., Inc." all give ``"acme"``. Initials are one word
    ("I.B.M." is ``"ibm"``, "N. V." is ``"nv"``); a legal form that leads the name as some
    countries write it ("N.V. Philips", "PT Astra") goes too; and what follows a legal form
    after a comma, a semicolon, a bracket or a dash is a place or a second name, not this one
    ("Akzo Nobel N.V., Arnhem" is ``"akzo nobel"``). A name that is only a legal form keeps
    it."""
    return _company_name(name.strip()) if name and name.strip() else ""


@lru_cache(maxsize=1 << 16)
def _company_name(name: str) -> str:
    words: list[str] = []
    for part in _NAME_PARTS.split(name):
        more = _initials_joined(plain(part).split())
        if not more:
            continue
        if words and _legal_form_at_end(more) == len(more):  # "Acme, Inc."
            break
        words += more
        if _legal_form_at_end(words) and len(words) > 1:  # "Acme Inc., Boston": stop here
            break
    while len(words) > 1 and (words[0] in _COMPANY_STOPWORDS or words[0] in _LEADING_FORMS):
        words.pop(0)
    while len(words) > 1 and (size := _legal_form_at_end(words)) and size < len(words):
        del words[-size:]
    return " ".join(words)


def _legal_form_at_end(words: list[str]) -> int:
    """How many of the last ``words`` are a legal form (the longest such), or 0."""
    forms = legal_forms()
    for size in (4, 3, 2, 1):
        if len(words) >= size and tuple(words[-size:]) in forms:
            return size
    return 0


def _initials_joined(words: list[str]) -> list[str]:
    """Runs of one-letter words as one word: ``["n", "v"]`` → ``["nv"]``."""
    out: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            out.append(run)
            run = ""
        out.append(word)
    if run:
        out.append(run)
    return out


@cache
def legal_forms() -> frozenset[tuple[str, ...]]:
    """The legal forms ``cleanco`` knows (Inc, Corp, GmbH & Co KG, S.A. de C.V., … for
    every country it covers), as :func:`plain` words with initials joined. Looking the last
    words of a name up in this set is what ``cleanco.basename`` does term by term, at a
    fraction of the cost."""
    forms = (
        tuple(_initials_joined(plain(" ".join(parts)).split()))
        for _, parts in prepare_default_terms()
    )
    return frozenset(f for f in forms if f)


def company_token(cleaned: str) -> str:
    """The first distinctive word of a cleaned company name, or ``""``."""
    for word in cleaned.split():
        if len(word) >= 3 and word not in _COMPANY_STOPWORDS:
            return word
    return ""


def address(text: str | None) -> str:
    """Lower case, punctuation gone, common words abbreviated ("Street" → "st")."""
    if not text:
        return ""
    words = ADDRESS_WORDS.get
    return " ".join([words(w, w) for w in plain(text).split()])


def identifier(value: str) -> str:
    """An identifier compared exactly, ignoring case, spaces and dashes."""
    return squash(value)

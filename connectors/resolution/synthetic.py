"""Generated directories with known answers, for tests and benchmarks: companies and their
people as three systems (CRM, support, billing) hold them, with controlled variation (legal
suffixes, case, typos, nicknames, phone and address formats, missing fields, free-mail
addresses), and the true entity of every record so precision and recall can be computed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import product
from typing import Final

from connectors.resolution.normalise import nicknamer
from connectors.resolution.records import Record, RecordKey

SYSTEMS: Final = ("crm", "support", "billing")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ADJECTIVES: Final = _words(
    "blue red green silver golden northern southern eastern western summit harbor river "
    "pine oak cedar maple granite iron copper crystal bright clear rapid quiet bold prime "
    "first united global pacific atlantic alpine coastal urban rural lunar solar stellar"
)
_NOUNS: Final = _words(
    "harbor ridge valley peak stone field bridge point gate lake forest meadow canyon "
    "river bay crest grove hill island shore tower wave wind star light spring brook "
    "falls haven works labs path way line core edge arc"
)
_TRADES: Final = _words(
    "logistics health systems software foods energy capital partners analytics robotics "
    "media studios motors pharma supply"
)
_SUFFIXES: Final = ("", "Inc.", "Inc", "Corporation", "Corp.", "LLC", "Ltd", "Co.", "Company")
_FIRST: Final = _words(
    "robert william elizabeth katherine james john michael richard thomas joseph charles "
    "margaret jennifer patricia daniel matthew anthony christopher steven andrew joshua "
    "alexander nicholas benjamin samuel jonathan edward susan deborah rebecca jessica "
    "victoria olivia emma sophia liam noah ethan mason lucas aria maya priya wei chen "
    "fatima omar ahmed sofia diego lucia mateo elena ivan nadia yuki kenji"
)
_LAST: Final = _words(
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez "
    "lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson "
    "white harris sanchez clark ramirez lewis robinson walker young allen king wright "
    "scott torres nguyen hill flores green adams nelson baker hall rivera campbell "
    "mitchell carter roberts patel shah kim park chen wang singh kumar novak kowalski "
    "muller schmidt schneider fischer weber meyer wagner becker hoffman schulz koch "
    "richter klein wolf neumann schwarz zimmerman braun hartmann lange werner krause"
)
_ONSETS: Final = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr")
_CODAS: Final = ("", "", "n", "r", "l", "s", "x", "m", "k", "t", "nd", "st")
_ENDINGS: Final = ("son", "ski", "ez", "er", "ley", "man", "ford", "ton", "ova", "berg")
_STREETS: Final = ("Main", "Oak", "Market", "Mission", "Elm", "Park", "Lake", "Hill", "Broad")
_KINDS: Final = (("Street", "St."), ("Avenue", "Ave"), ("Road", "Rd."), ("Boulevard", "Blvd"))
_FREE: Final = ("gmail.com", "outlook.com", "yahoo.com")


@dataclass
class Directory:
    """Generated records and the true entity of each."""

    records: list[Record] = field(default_factory=list)
    truth: dict[RecordKey, str] = field(default_factory=dict)

    def add(self, record: Record, entity: str) -> None:
        self.records.append(record)
        self.truth[record.key] = entity


def typo(rng: random.Random, word: str) -> str:
    """One random edit: a swapped, dropped, doubled or replaced letter (not the first)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        case 1:
            return word[:i] + word[i + 1 :]
        case 2:
            return word[:i] + word[i] + word[i:]
        case _:
            return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def phone_format(rng: random.Random, digits: str) -> str:
    """Ten digits written one of the ways people write them."""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    styles = (f"({a}) {b}-{c}", f"+1 {a}.{b}.{c}", f"{a}-{b}-{c}", f"1{a}{b}{c}", f"+1{a}{b}{c}")
    return rng.choice(styles)


def coined(rng: random.Random, syllables: int) -> str:
    """An invented word ("korvani"): real directories keep meeting new names, so the
    vocabulary grows with the data instead of repeating a fixed list."""
    return "".join(
        rng.choice(_ONSETS) + rng.choice("aeiou") + rng.choice(_CODAS) for _ in range(syllables)
    )


def generate(companies: int, *, seed: int = 7, people_per_company: int = 2) -> Directory:
    """``companies`` companies with their people across :data:`SYSTEMS`. Most company
    names start with an invented word, the rest are three common words; four in five
    people have an invented surname."""
    rng = random.Random(seed)
    names = list(product(_ADJECTIVES, _NOUNS, _TRADES))
    rng.shuffle(names)
    out, seen = Directory(), set[tuple[str, str, str]]()
    for n in range(companies):
        words = names[n % len(names)]
        if rng.random() < 0.7:
            words = (coined(rng, rng.randrange(2, 4)), rng.choice(_NOUNS), words[2])
        while words in seen:
            words = (coined(rng, 3), words[1], words[2])
        seen.add(words)
        _company(rng, out, n, words, people_per_company)
    return out


def _company(
    rng: random.Random, out: Directory, n: int, words: tuple[str, str, str], people: int
) -> None:
    base = " ".join(w.capitalize() for w in words)
    domain = f"{words[0]}{words[1]}.{rng.choice(('com', 'io', 'co'))}"
    phone = f"{rng.randrange(200, 999)}{rng.randrange(200, 999)}{rng.randrange(0, 9999):04d}"
    number, street, kind = rng.randrange(1, 9999), rng.choice(_STREETS), rng.choice(_KINDS)
    systems = [s for s in SYSTEMS if s == "crm" or rng.random() < 0.8]
    for system in systems:
        name = f"{base} {rng.choice(_SUFFIXES)}".strip()
        name = name.upper() if rng.random() < 0.1 else name
        if rng.random() < 0.15:
            name = typo(rng, name)
        record = Record(
            system=system,
            record_id=f"{system}-c{n:05d}",
            kind="company",
            name=name,
            domain=domain if rng.random() < 0.7 else None,
            phone=phone_format(rng, phone) if rng.random() < 0.6 else None,
            address=f"{number} {street} {rng.choice(kind)}" if rng.random() < 0.5 else None,
            identifiers={"duns": f"{n:09d}"} if system != "support" and rng.random() < 0.4 else {},
        )
        out.add(record, f"company-{n}")
    for p in range(people):
        _person(rng, out, f"{n:05d}-{p}", base, domain, systems)


def _person(
    rng: random.Random, out: Directory, pid: str, company: str, domain: str, systems: list[str]
) -> None:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    if rng.random() < 0.8:  # the common surnames are about a fifth of people, as in census data
        last = coined(rng, rng.randrange(1, 3)) + rng.choice(_ENDINGS)
    email = f"{first}.{last}@{domain}"
    phone = f"{rng.randrange(200, 999)}{rng.randrange(200, 999)}{rng.randrange(0, 9999):04d}"
    nicks = sorted(nicknamer().nicknames_of(first))
    for system in systems:
        if system != "crm" and rng.random() < 0.25:
            continue
        shown_first = rng.choice(nicks) if nicks and rng.random() < 0.3 else first
        shown_last = typo(rng, last) if rng.random() < 0.1 else last
        address = email
        if shown_first != first and rng.random() < 0.5:  # bob.smith@ for robert.smith@
            address = f"{shown_first}.{last}@{domain}"
        if rng.random() < 0.1:
            address = f"{first}{last}{rng.randrange(10, 99)}@{rng.choice(_FREE)}"
        record = Record(
            system=system,
            record_id=f"{system}-p{pid}",
            kind="person",
            name=f"{shown_first.capitalize()} {shown_last.capitalize()}",
            email=address if rng.random() < 0.85 else None,
            phone=phone_format(rng, phone) if rng.random() < 0.5 else None,
            company_name=company if rng.random() < 0.7 else None,
        )
        out.add(record, f"person-{pid}")

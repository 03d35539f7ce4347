"""The shortlist of aliases that can match a typed name is exact: over a directory of several
thousand company names sharing words (as real ones do: "Health", "Systems", "Logistics"),
every alias the directory's score puts at "found" or above is on the shortlist, for typos,
dropped and extra words, upper case and short queries alike."""

from __future__ import annotations

import random

import pytest

from connectors.identity import _STOPWORDS, FOUND_SCORE, WORD_SCORE, _score, normalize_name
from connectors.shortlist import AliasShortlist

COMMON = ("health", "systems", "logistics", "freight", "partners", "labs", "group", "energy",
          "summit", "harbor", "blue", "north", "data", "design", "studio", "capital")  # fmt: skip


def _names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def coined() -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(4, 8)))

    names = set()
    while len(names) < count:
        words = [coined(), *rng.sample(COMMON, rng.randint(0, 2))]
        if rng.random() < 0.3:
            words.insert(0, rng.choice(COMMON))
        names.add(" ".join(words))
    return sorted(names)


def _queries(names: list[str], seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for name in rng.sample(names, 80):
        words = name.split()
        at = rng.randrange(len(name))
        out += [
            name[:at] + name[at + 1 :],  # a letter dropped
            name[:at] + rng.choice("aeiou") + name[at:],  # one added
            " ".join(words[:-1]) or name,  # the last word dropped
            f"{name} {rng.choice(COMMON)}",  # a word added
            words[0][:-1],  # one word, misspelt
        ]
    return [*out, "health systems", "summit", "blue harbr", "ab", "the", "and co"]


@pytest.fixture(scope="module")
def aliases() -> list[str]:
    return [normalize_name(n) for n in _names(3_000, seed=5)]


def test_every_alias_that_scores_found_is_on_the_shortlist(aliases: list[str]) -> None:
    shortlist = AliasShortlist(aliases, found=FOUND_SCORE, word=WORD_SCORE, no_words=_STOPWORDS)
    checked = 0
    for query in _queries(aliases, seed=6):
        wanted = normalize_name(query)
        found = {i for i, alias in enumerate(aliases) if _score(wanted, alias) >= FOUND_SCORE}
        candidates = shortlist.candidates(wanted)
        assert found <= set(candidates), (query, sorted(found - set(candidates)))
        checked += bool(found)
    assert checked > 250  # most queries do find something: the property is not vacuous


def test_the_shortlist_is_a_small_share_of_a_large_directory(aliases: list[str]) -> None:
    shortlist = AliasShortlist(aliases, found=FOUND_SCORE, word=WORD_SCORE, no_words=_STOPWORDS)
    sizes = [len(shortlist.candidates(normalize_name(q))) for q in _queries(aliases, seed=7)]
    assert sorted(sizes)[len(sizes) // 2] < len(aliases) // 20

"""Which of a large directory's aliases can score as a match for a typed name, found without
scoring each of them in Python.

The directory's fuzzy score (``connectors.identity._score``) reaches its "found" threshold in
one of two ways: the whole strings are close (``fuzz.ratio``), or every typed word is close to
one of the alias's words and together they score high. So an alias can only count if

* ``fuzz.ratio(wanted, alias)`` reaches the threshold: rapidfuzz finds those among all the
  aliases in one pass in C, with the threshold as its cut-off; or
* one of its words is close to the typed word that is rarest in the directory: each typed word
  is looked up in the directory's vocabulary (one pass each), and the aliases holding the near
  words of the rarest come from an index of aliases by word.

The shortlist is exact: every alias left out scores below the threshold, so scoring the
shortlist decides as scoring every alias would (``tests/connectors/test_shortlist.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rapidfuzz import fuzz, process


class AliasShortlist:
    """Indexes ``aliases`` (normalised names) by word; :meth:`candidates` gives the indexes
    of those that can reach ``found`` (whole-string ratio) or ``word`` (each word's ratio)."""

    def __init__(
        self, aliases: Sequence[str], *, found: float, word: float, no_words: Collection[str]
    ) -> None:
        self._aliases = list(aliases)
        self._found = found
        self._word = word
        self._no_words = no_words  # queries scored as whole strings only (too short, "and")
        self._by_word: dict[str, list[int]] = {}
        for index, alias in enumerate(self._aliases):
            for token in set(alias.split()):
                self._by_word.setdefault(token, []).append(index)
        self._vocabulary = list(self._by_word)

    def candidates(self, wanted: str) -> list[int]:
        """Indexes of the aliases that can score as a match for ``wanted``, in order."""
        whole = process.extract(
            wanted, self._aliases, scorer=fuzz.ratio, score_cutoff=self._found, limit=None
        )
        picked = {index for _, _, index in whole}
        if len(wanted) >= 3 and wanted not in self._no_words and wanted.split():
            rarest = min((self._holding(t) for t in wanted.split()), key=len)
            picked.update(rarest)
        return sorted(picked)

    def _holding(self, token: str) -> list[int]:
        """The aliases with a word close to ``token``."""
        near = process.extract(
            token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=self._word, limit=None
        )
        return [index for word, _, _ in near for index in self._by_word[word]]

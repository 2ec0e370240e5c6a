"""Compound words read as their parts, so "knieblessures" meets "knie blessures".

Dutch and German write compounds as one word ("Knieverletzungen", "bilspieroefeningen"),
and people type them either way. In a language whose ``[understanding]`` table has
``compound_links`` (the linking letters, e.g. the "s" of "Hüftsbeuger"), every word that
is a chain of words the interaction model knows is read as that chain, and words written
apart that the model knows only as one word are read as that word, in the samples, the
slot values and the utterance alike, so both spellings come to the same keys.

A part is a word of the model (its key is one of the model's keys) of at least
:data:`MIN_PART_LETTERS` letters; a linking letter sequence may follow any part but the
last. The fewest parts win, then the longest first part. A word the model knows whole is
split too when it is a chain of other words it knows, so each spelling meets the other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from skill.local.understanding.utterance import Wording

# Shortest part of a compound ("arm", "rug", "bil", "po" is too short to be safe).
MIN_PART_LETTERS = 3
# Longest word looked into; longer ones are left whole.
MAX_WORD_LETTERS = 40
# Most words written apart that are joined into one the model knows.
MAX_JOINED_WORDS = 3
# Words remembered per model, so a long session stays fast without growing forever.
CACHE_SIZE = 20_000


class Decompounder:
    """Splits a language's compounds into the model's words; a no-op where it has none."""

    def __init__(self, wording: Wording, keys: Collection[str]) -> None:
        self.wording = wording
        self.links = tuple(sorted(set(wording.compound_links or ()), key=len))
        self.enabled = wording.compound_links is not None
        self.keys = frozenset(keys)
        self._parts: dict[str, tuple[str, ...]] = {}

    def parts(self, word: str) -> tuple[str, ...]:
        """The word's parts as written ("knieblessures" -> ("knie", "blessures")), or the
        word alone when it is no chain of known words."""
        if not self.enabled or len(word) < 2 * MIN_PART_LETTERS or len(word) > MAX_WORD_LETTERS:
            return (word,)
        found = self._parts.get(word)
        if found is None:
            found = self._split(word) or (word,)
            if len(self._parts) < CACHE_SIZE:
                self._parts[word] = found
        return found

    def canonical(self, words: Sequence[str]) -> list[str]:
        """Words as the model's words spell them: a compound split into the model's words,
        and words written apart joined where the model knows them only as one
        ("knie blessures" is "knieblessures" when "blessures" is no word of its own)."""
        if not self.enabled:
            return list(words)
        out: list[str] = []
        i = 0
        while i < len(words):
            joined = self._joined(words, i)
            if joined is not None:
                word, i = joined
                out.append(word)
                continue
            out.extend(self.parts(words[i]))
            i += 1
        return out

    def _joined(self, words: Sequence[str], start: int) -> tuple[str, int] | None:
        """The longest run of words from ``start`` that the model knows as one word that is
        no chain of its words (with a linking letter between, or none), and where it ends."""
        for end in range(min(len(words), start + MAX_JOINED_WORDS), start + 1, -1):
            run = words[start:end]
            if any(not word.isalpha() for word in run):
                continue
            for link in ("", *self.links):
                word = link.join(run)
                if self.wording.key_of(word) in self.keys and self.parts(word) == (word,):
                    return word, end
        return None

    def _known(self, piece: str) -> bool:
        return len(piece) >= MIN_PART_LETTERS and self.wording.key_of(piece) in self.keys

    def _split(self, word: str) -> tuple[str, ...] | None:
        """The fewest known parts that spell ``word`` (two or more), else None."""
        n = len(word)
        # best[i]: the fewest parts spelling word[i:], as a tuple, or None
        best: list[tuple[str, ...] | None] = [None] * (n + 1)
        best[n] = ()
        for start in range(n - MIN_PART_LETTERS, -1, -1):
            options: list[tuple[str, ...]] = []
            for end in range(n, start + MIN_PART_LETTERS - 1, -1):
                piece = word[start:end]
                if not self._known(piece):
                    continue
                if end == n:
                    if start:  # the whole word is not one of its own parts
                        options.append((piece,))
                    continue
                for link in ("", *self.links):
                    rest = best[end + len(link)] if word.startswith(link, end) else None
                    if rest:
                        options.append((piece, *rest))
            if options:
                best[start] = min(options, key=lambda parts: (len(parts), -len(parts[0])))
        return best[0]


def known_keys(wording: Wording, phrases: Sequence[str]) -> set[str]:
    """Every word key of some phrases, as the compounds' parts are looked up."""
    return {wording.key_of(word) for phrase in phrases for word in wording.raw_words(phrase)}

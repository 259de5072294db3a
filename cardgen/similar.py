"""How lint compares card texts: as sets of words, and for phrases shown whole."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Sequence

from cardgen.patterns.base import Template, norm
from cardgen.render import visible


def contains(text: str, phrase: str) -> bool:
    """Whether `text` shows `phrase` as whole words, case and punctuation aside."""
    phrase = norm(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", norm(text)) is not None


def tokens(text: str) -> frozenset[str]:
    """A text's words as compared: case and punctuation aside, each once."""
    return frozenset(norm(text).split())


def template_tokens(template: Template) -> frozenset[str]:
    """The words a card type puts on every front: not what tells two cards apart."""
    return tokens(visible(re.sub(r"\{\{[^}]*\}\}", " ", template.front)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


class Index:
    """Sets to search for those at least `threshold` like a query (Jaccard), exactly.

    Prefix filtering: two sets this alike share a word among each one's first
    |s| - ceil(threshold * |s|) + 1 words, rarest first, so only those are indexed and probed.
    """

    def __init__(self, sets: Sequence[frozenset[str]], threshold: float) -> None:
        self.sets, self.threshold = sets, threshold
        self.frequency: Counter[str] = Counter(word for words in sets for word in words)
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.empty = [n for n, words in enumerate(sets) if not words]
        for n, words in enumerate(sets):
            for word in self._prefix(words):
                self.postings[word].append(n)

    def _prefix(self, words: frozenset[str]) -> list[str]:
        needed = math.ceil(self.threshold * len(words) - 1e-9)  # the fewest words a set this like it shares
        return sorted(words, key=lambda w: (self.frequency[w], w))[: len(words) - needed + 1]

    def like(self, words: frozenset[str]) -> list[int]:
        """The indices of the sets at least `threshold` like `words`, in order."""
        if not words:
            return [n for n in self.empty if jaccard(words, self.sets[n]) >= self.threshold]
        found = {n for word in self._prefix(words) for n in self.postings.get(word, ())}
        return sorted(n for n in found if jaccard(words, self.sets[n]) >= self.threshold)

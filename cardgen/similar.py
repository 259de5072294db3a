"""How lint compares card texts: as sets of words, and for phrases shown whole."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterator, Sequence

from cardgen.patterns.base import Template, norm
from cardgen.render import visible


def contains(text: str, phrase: str) -> bool:
    """Whether `text` shows `phrase` as whole words, case and punctuation aside."""
    phrase = norm(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", norm(text)) is not None


def tokens(text: str) -> frozenset[str]:
    return frozenset(norm(text).split())


def template_tokens(template: Template) -> frozenset[str]:
    """The words a card type puts on every front: not what tells two cards apart."""
    return tokens(visible(re.sub(r"\{\{[^}]*\}\}", " ", template.front)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


@dataclass(frozen=True)
class Front:
    """A front as the near-identical check compares it."""

    words: frozenset[str]  # what tells it apart: its words less those its card type puts on every front
    every: frozenset[str]  # all its words, compared when the card types differ
    kind: Hashable  # its card type


_SLACK = 1e-9  # bounds are compared with room to spare: a filter may keep too much, never too little


def _bound(overlap: int, size_a: int, size_b: int) -> float:
    """The best Jaccard similarity two sets of these sizes reach with at most `overlap` in common."""
    overlap = min(overlap, size_a, size_b)
    union = size_a + size_b - overlap
    return overlap / union if union else 1.0


def near_identical(fronts: Sequence[Front], apart: Sequence[tuple[Hashable, ...]], threshold: float, width: int = 3) -> list[tuple[int, int, float]]:
    """Pairs (a, b, similarity), a < b, of fronts that share one of their `width` rarest words and
    reach `threshold` (on `words` for one card type, on `every` across two), with every label
    of `apart` different; in the order a scan of each rare word's fronts, in turn, meets them.

    Compared as a set-similarity join, so the work grows with the pairs that could reach the
    threshold, not with all pairs: fronts with the same words are compared once; a pair is
    looked at under its first shared word only, where the words before it in rarity order
    are known not to be shared and bound what the pair can reach.
    """
    frequency: Counter[str] = Counter(word for front in fronts for word in front.words)
    shapes: dict[Front, list[int]] = defaultdict(list)  # the same words, card type and all: compared once
    for index, front in enumerate(fronts):
        shapes[front].append(index)
    order = {shape: tuple(sorted(shape.words, key=lambda w: (frequency[w], w))) for shape in shapes}
    rank: dict[str, int] = {}  # the order the words' scans run in: each first met as a front's rare word
    for front in fronts:
        for word in order[front][:width]:
            rank.setdefault(word, len(rank))
    found = [(shape, shape) for shape, members in shapes.items() if shape.words and len(members) > 1]
    pairs: list[tuple[int, int, int, float]] = []
    for one, other in found + list(_joined(order, width, threshold)):
        first = min(rank[word] for word in set(order[one][:width]) & set(order[other][:width]))
        similarity = _similar(one, other)
        for a, b in _members(shapes[one], shapes[other] if other is not one else None, apart):
            pairs.append((first, a, b, similarity))
    return [(a, b, similarity) for _, a, b, similarity in sorted(pairs)]


def _members(one: list[int], other: list[int] | None, apart: Sequence[tuple[Hashable, ...]]) -> Iterator[tuple[int, int]]:
    """The pairs (a, b), a < b, of one shape's fronts with another's (`None`: with each other)
    whose labels all differ. Within a shape, fronts with the same first label are never
    paired, so a thousand copies of one front cost a thousand steps, not half a million."""
    if other is None:
        by_label: dict[Hashable, list[int]] = defaultdict(list)
        for index in one:
            by_label[apart[index][0]].append(index)
        groups = list(by_label.values())
        candidates: Iterator[tuple[int, int]] = (
            (x, y) for g, h in itertools.combinations(range(len(groups)), 2) for x in groups[g] for y in groups[h]
        )
    else:
        candidates = itertools.product(one, other)
    for x, y in candidates:
        if all(p != q for p, q in zip(apart[x], apart[y], strict=True)):
            yield min(x, y), max(x, y)


def _joined(order: dict[Front, tuple[str, ...]], width: int, threshold: float) -> Iterator[tuple[Front, Front]]:
    """Each pair of distinct shapes that shares one of its `width` rarest words and reaches
    `threshold`, found under its first shared word."""
    buckets: dict[str, dict[tuple[int, int, int], list[Front]]] = defaultdict(lambda: defaultdict(list))
    for shape, words in order.items():
        for position, word in enumerate(words[:width]):
            buckets[word][(position, len(shape.words), len(shape.every))].append(shape)
    for groups in buckets.values():
        keys = list(groups)
        for g, h in itertools.combinations_with_replacement(range(len(keys)), 2):
            (i, size_a, every_a), (j, size_b, every_b) = keys[g], keys[h]
            most = min(size_a - i, size_b - j)  # the words before this one are not shared
            same = _bound(most, size_a, size_b) >= threshold - _SLACK
            across = _bound(most + every_a - size_a + every_b - size_b, every_a, every_b) >= threshold - _SLACK
            if not (same or across):
                continue
            pairs = itertools.combinations(groups[keys[g]], 2) if g == h else itertools.product(groups[keys[g]], groups[keys[h]])
            for one, other in pairs:
                if (same if one.kind == other.kind else across) and not set(order[one][:i]) & other.words:
                    if _similar(one, other) >= threshold:
                        yield one, other


def _similar(one: Front, other: Front) -> float:
    return jaccard(one.words, other.words) if one.kind == other.kind else jaccard(one.every, other.every)


class Index:
    """Sets to search for those at least `threshold` like a query (Jaccard), exactly.

    Prefix filtering: in one order of the words, rarest first, two sets that alike share a
    word among each one's first |s| - ceil(threshold * |s|) + 1, so only those words are indexed.
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
        needed = math.ceil(self.threshold * len(words) - _SLACK)  # the fewest words a set this like it shares
        return sorted(words, key=lambda w: (self.frequency[w], w))[: len(words) - needed + 1]

    def like(self, words: frozenset[str]) -> list[int]:
        """The indices of the sets at least `threshold` like `words`, in order."""
        if not words:
            return [n for n in self.empty if jaccard(words, self.sets[n]) >= self.threshold]
        found = {n for word in self._prefix(words) for n in self.postings.get(word, ())}
        return sorted(n for n in found if jaccard(words, self.sets[n]) >= self.threshold)

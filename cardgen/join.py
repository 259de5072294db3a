"""Near-identical fronts without comparing all pairs: the similarity join behind lint's check.

Two fronts are compared when they share one of their three rarest words, on the words their
card type does not put on every front (all their words across two card types); a pair at or
above the threshold interferes. A deck of templated prompts ("... the daily amount of X for
adults?") makes every pair interfere, so the pairs themselves are quadratic: what a report
needs is each card's first pair, in the order a scan of each rare word's fronts in turn
meets them (that order decides which message a fact's finding shows), and that is what is
found here, with work that grows with the deck:

- A word on one front only is never shared: fronts alike but for such words are one shape,
  compared once with each other shape (the shape knows how many such words it has).
- Shapes are paired under their first shared word only, where the words before it are known
  not to be shared, which bounds the similarity the pair can reach (a set-similarity join).
- Each card then takes, of the shapes like its own, the first card it may pair with.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterator, Sequence

_SLACK = 1e-9  # bounds are compared with room to spare: a filter may keep too much, never too little


@dataclass(frozen=True)
class Front:
    """A front as the near-identical check compares it."""

    words: frozenset[str]  # what tells it apart: its words less those its card type puts on every front
    every: frozenset[str]  # all its words, compared when the card types differ
    kind: Hashable  # its card type


@dataclass(frozen=True)
class Label:
    """What must differ for two fronts to interfere: the front, the fact, the answer (as compared)."""

    front: str
    fact: str
    answer: str


@dataclass(frozen=True)
class _Shape:
    """Fronts that look alike to every other front: the same words but those no other front has."""

    kind: Hashable
    words: frozenset[str]  # its words some other front has too
    every: frozenset[str]
    lone: int  # how many of its words no other front has
    lone_every: int
    keys: tuple[str, ...]  # its rare words another front may share, rarest first
    before: int  # how many rarer words (none shared) come before them


def near_identical(fronts: Sequence[Front], labels: Sequence[Label], threshold: float, width: int = 3) -> list[tuple[int, int, float]]:
    """For each front that interferes: (it, the front of its first pair, their similarity),
    in the order the pairs are met."""
    shapes, members, rank = _shapes(fronts, width)
    for cards in members.values():
        cards.close(labels)
    alike: dict[_Shape, list[tuple[int, _Shape, float]]] = defaultdict(list)  # shape -> (rank, shape, similarity), by rank
    for one, other in _joined(list(members), threshold):
        first = min(rank[word] for word in set(one.keys) & set(other.keys))
        similarity = _likeness(one, other)
        alike[one].append((first, other, similarity))
        alike[other].append((first, one, similarity))
    for shape, cards in members.items():
        if shape.keys and len(cards.order) > 1 and (similarity := _likeness(shape, shape)) >= threshold:
            alike[shape].append((min(rank[word] for word in shape.keys), shape, similarity))
    for pairs in alike.values():
        pairs.sort(key=lambda pair: pair[0])
    found = [best for index, shape in enumerate(shapes) if shape in alike and (best := _first_pair(index, alike[shape], members, labels))]
    return [(index, other, similarity) for _, index, other, similarity in sorted(found)]


def _first_pair(
    index: int, alike: list[tuple[int, _Shape, float]], members: dict[_Shape, _Members], labels: Sequence[Label]
) -> tuple[tuple[int, int, int, int], int, int, float] | None:
    """The first pair of front `index`: (where it is met: rank, a, b, whether `index` is b; index, other, similarity)."""
    best: tuple[tuple[int, int, int, int], int, int, float] | None = None
    for first, shape, similarity in alike:
        if best is not None and first > best[0][0]:
            break  # no later shape pairs earlier
        other = members[shape].first(index, labels)
        if other is not None:
            a, b = min(index, other), max(index, other)
            met = (first, a, b, int(index == b))
            if best is None or met < best[0]:
                best = (met, index, other, similarity)
    return best


class _Members:
    """The fronts of one shape, to find the first that may pair with a given front."""

    def __init__(self) -> None:
        self.order: list[int] = []
        self.groups: list[tuple[str, list[int]]] = []

    def add(self, index: int) -> None:
        self.order.append(index)

    def close(self, labels: Sequence[Label]) -> None:
        """Once every front is added: group them by answer, each answer at its first front."""
        by_answer: dict[str, list[int]] = defaultdict(list)
        for index in self.order:
            by_answer[labels[index].answer].append(index)
        self.groups = sorted(by_answer.items(), key=lambda group: group[1][0])

    def first(self, index: int, labels: Sequence[Label]) -> int | None:
        """The lowest front with another front, fact and answer than front `index`: answers
        it shares are skipped whole, so a thousand cards with one answer cost one step."""
        own, best = labels[index], None
        for answer, fronts in self.groups:
            if best is not None and fronts[0] >= best:
                break
            if answer == own.answer:
                continue
            for other in fronts:
                if best is not None and other >= best:
                    break
                if labels[other].front != own.front and labels[other].fact != own.fact:
                    best = other
                    break
        return best


def _shapes(fronts: Sequence[Front], width: int) -> tuple[list[_Shape], dict[_Shape, _Members], dict[str, int]]:
    """Each front's shape, the fronts of each shape in order, and the rank of each rare word
    that may be shared: the order of the scans, each word's when a front first has it."""
    frequency = Counter(word for front in fronts for word in front.words)
    lone = {word for word, count in Counter(word for front in fronts for word in front.every).items() if count == 1}
    shapes: list[_Shape] = []
    members: dict[_Shape, _Members] = defaultdict(_Members)
    rank: dict[str, int] = {}
    for index, front in enumerate(fronts):
        shared = sorted((w for w in front.words if frequency[w] > 1), key=lambda w: (frequency[w], w))
        before = len(front.words) - len(shared)  # words on this front only: rarest of all, never shared
        keys = tuple(shared[: max(0, width - before)])
        shape = _Shape(front.kind, front.words - lone, front.every - lone, len(front.words & lone), len(front.every & lone), keys, before)
        for word in keys:
            rank.setdefault(word, len(rank))
        shapes.append(shape)
        members[shape].add(index)
    return shapes, members, rank


def _likeness(one: _Shape, other: _Shape) -> float:
    """Jaccard similarity of two fronts of these shapes (two fronts of one shape share none of
    their lone words): on their words for one card type, on all their words across two."""
    if one.kind == other.kind:
        a, b, lone = one.words, other.words, one.lone + other.lone
    else:
        a, b, lone = one.every, other.every, one.lone_every + other.lone_every
    overlap = len(a & b)
    union = len(a) + len(b) - overlap + lone
    return overlap / union if union else 1.0


def _bound(overlap: int, size_a: int, size_b: int) -> float:
    """The best Jaccard similarity two sets of these sizes reach with at most `overlap` in common."""
    overlap = min(overlap, size_a, size_b)
    union = size_a + size_b - overlap
    return overlap / union if union else 1.0


def _joined(shapes: list[_Shape], threshold: float) -> Iterator[tuple[_Shape, _Shape]]:
    """Each pair of shapes that shares a key and reaches `threshold`, found under its first shared word."""
    buckets: dict[str, dict[tuple[int, int, int], list[_Shape]]] = defaultdict(lambda: defaultdict(list))
    for shape in shapes:
        size, every = len(shape.words) + shape.lone, len(shape.every) + shape.lone_every
        for position, word in enumerate(shape.keys):
            buckets[word][(shape.before + position, size, every)].append(shape)
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
                earlier = one.keys[: i - one.before]
                if (same if one.kind == other.kind else across) and not set(earlier) & other.words and _likeness(one, other) >= threshold:
                    yield one, other

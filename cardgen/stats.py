"""What the decks hold: notes, cards, tags and sources per deck and note type."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from cardgen.cards import Card
from cardgen.quality import FRONT_CHARS
from cardgen.records import Source


@dataclass(frozen=True)
class Row:
    deck: str
    note_type: str
    notes: int
    cards: int
    tags: int
    sources: int


def table(cards: list[Card]) -> list[Row]:
    """Per deck and note type; every note has a card (a build refuses one without)."""
    notes: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: Counter[tuple[str, str]] = Counter()
    tags: dict[tuple[str, str], set[str]] = defaultdict(set)
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for card in cards:
        key = (card.fact.topic.deck_name, card.kind.name)
        notes[key].add(card.note_key)
        counts[key] += 1
        tags[key].update(card.tags)
        sources[key].update(c.document.key for c in card.fact.sources)
    return [
        Row(deck, name, len(notes[(deck, name)]), counts[(deck, name)], len(tags[(deck, name)]), len(sources[(deck, name)]))
        for deck, name in sorted(notes)
    ]


def long_fronts(cards: Sequence[Card]) -> int:
    """Cards whose front a phone cannot show on one screen (lint warns on each)."""
    return sum(len(card.front) > FRONT_CHARS for card in cards)


def facts_per_document(source: Source) -> list[tuple[str, str, int]]:
    count = Counter(key for f in source.facts for key in {c.document.key for c in f.sources})
    return [(key, doc.title, count[key]) for key, doc in source.documents.items()]


def format_table(headers: list[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table that reads in a terminal and pastes into Markdown."""
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    right = [all(r[i].isdigit() or not r[i] for r in cells[1:]) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "| " + " | ".join(c.rjust(w) if right[i] else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))) + " |"
        )
        if n == 0:
            lines.append("|" + "|".join(("-" * (w + 1) + ":") if right[i] else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|")
    return "\n".join(lines)

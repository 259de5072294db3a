"""Checks between cards: interference (identical, near-identical and source-only fronts,
reverse cards with rivals) and answers given away by other fronts."""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from typing import Iterable, Iterator, Sequence

from cardgen.cards import Card
from cardgen.join import Front, Label, near_identical
from cardgen.patterns.base import norm
from cardgen.quality import NEAR_IDENTICAL, VOCABULARY, Severity
from cardgen.render import visible
from cardgen.similar import Index, contains, template_tokens, tokens

_LINK = r"(?:(?:as per|according to|per|from|in|by)(?: the| an| a)? )?"  # "per the" before a citation


def near_pairs(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    """Interference: identical or near-identical fronts with different answers. A near-identical
    front is reported with its first pair only, all a report shows of it."""
    fronts = [norm(c.front) for c in cards]
    answers = [norm(c.answer) for c in cards]
    by_front: dict[str, list[int]] = defaultdict(list)
    for index, front in enumerate(fronts):
        by_front[front].append(index)
    for same in by_front.values():
        shown: dict[str, set[str]] = defaultdict(set)  # an answer as compared -> as written
        for index in same:
            shown[answers[index]].add(cards[index].answer)
        if len(shown) > 1:
            others = {answer: sorted({w for other, texts in shown.items() if other != answer for w in texts}) for answer in shown}
            message = {answer: f"another card has this front and answers {', '.join(written)!r}" for answer, written in others.items()}
            for index in same:
                yield cards[index], "identical-fronts", "error", message[answers[index]]
    # Near-identical: what varies between fronts (the template's own words left out),
    # compared where two fronts share one of their three rarest words (join.py).
    # Siblings of one list are one overlapping cloze, alike by design.
    template_words = {(c.pattern, c.template.key): template_tokens(c.template) for c in cards}
    every = [tokens(c.front) for c in cards]
    compared = [
        Front(words - template_words[(c.pattern, c.template.key)], words, (c.pattern, c.template.key)) for c, words in zip(cards, every)
    ]
    labels = [Label(front, card.fact.id, answer) for front, card, answer in zip(fronts, cards, answers)]
    for index, partner, similarity in near_identical(compared, labels, NEAR_IDENTICAL):
        other = cards[partner]
        yield (
            cards[index],
            "near-identical-fronts",
            "warning",
            (f"front {similarity:.0%} like that of fact '{other.fact.id}', which answers '{other.answer}'"),
        )


def _uncited(front: str, citations: re.Pattern[str]) -> str:
    """A front with every cited document taken out: 'What can a deficiency of Vitamin K lead to,
    per the B12 article's comparison table?' -> 'what can a deficiency of vitamin k lead to'."""
    return " ".join(citations.sub(" ", norm(front)).split())


def citation_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """The ways a front cites a document (its short name, a fact's cue), longest first so a cue
    that holds a short name goes whole, with the words that lead into it."""
    alternatives = sorted({norm(p) for p in phrases if norm(p)}, key=lambda p: (-len(p), p))
    if not alternatives:
        return re.compile(r"(?!)")
    return re.compile(rf"(?<!\w){_LINK}(?:{'|'.join(map(re.escape, alternatives))})(?: s)?(?!\w)")


def source_only(cards: Sequence[Card], citations: re.Pattern[str]) -> Iterator[tuple[Card, str, Severity, str]]:
    """Fronts that differ only by the document they cite, with different answers: the learner
    is taught which article said what. Identical fronts are identical-fronts' business.

    Each group's cards are taken by front and answer, so a thousand copies of one card are
    compared with the others once."""
    by_front: dict[str, list[Card]] = defaultdict(list)
    for card in cards:
        by_front[_uncited(card.front, citations)].append(card)
    for same in by_front.values():
        cells: dict[tuple[str, str], set[str]] = defaultdict(set)  # front and answer, as compared -> the cards'
        for card in same:
            cells[(norm(card.front), norm(card.answer))].add(f"'{card.fact.id}' ({card.answer})")
        if len({front for front, _ in cells}) < 2:
            continue
        others = {
            (front, answer): sorted({label for (f, a), labels in cells.items() if f != front and a != answer for label in labels})
            for front, answer in cells
        }
        for card in same:
            named = others[(norm(card.front), norm(card.answer))]
            if named:
                yield (
                    card,
                    "source-only-difference",
                    "error",
                    (
                        f"the front differs only by the document it cites from that of {', '.join(named)}; "
                        "make one card about the knowledge, each document's words on the back"
                    ),
                )


SIBLING = "a sibling card of its own note"
_CONTEXT_FIELDS = frozenset({"cue", "extra", "source", "reverse", "set", "members", "list"})


def _asked_from(card: Card) -> list[str]:
    """What a reverse card shows to ask for its subject ('Kiwi' for 'Kiwi: rich in which
    nutrient?'). Another front gives such an answer away only when it shows this too: the
    nutrient's name on its own role card tells nothing about kiwi."""
    if not card.template.reverse:
        return []
    fields = card.kind.fields
    return [
        value
        for field, html in zip(fields, card.fields_html, strict=True)
        if field.key not in _CONTEXT_FIELDS
        and (value := visible(html))
        and norm(value) != norm(card.answer)
        and contains(card.front, value)
    ]


def give_aways(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    """An answer that stands on the front of another note's card in the same deck.

    Two deletions of one cloze text show each other's answers: a give-away too.
    A reverse card's answer (the nutrient of 'Kiwi: rich in which nutrient?') is given away
    only by a front that also shows what it asks from (kiwi).

    An answer that the fronts of VOCABULARY or more other facts show ("osteoporosis",
    "calcium" in a deck on bone) is the deck's vocabulary: seen everywhere, it cues no one
    card. A give-away is an answer one or two other facts show: a sibling's blanked member,
    a definition printed on the card that asks for it.

    Every answer is indexed by deck and normalised text, and each front's word runs that
    start an answer are looked up; an answer's fronts are then counted per fact once, not
    once for every card that gives the same answer, so the work grows with the deck.
    """
    answers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, card in enumerate(cards):
        answer = norm(card.answer)
        if len(answer) >= 2:
            answers[(card.fact.topic.deck, answer)].append(n)
    hits = _fronts_showing(cards, answers)
    by_word: dict[str, set[int]] = defaultdict(set)  # a word -> the cards whose fronts show it
    for n, card in enumerate(cards):
        for word in norm(card.front).split():
            by_word[word].add(n)
    shown: dict[int, frozenset[str]] = {}  # index of an answering card -> facts showing it
    for key, showing in hits.items():
        shown.update(_shown(cards, answers[key], showing, by_word))
    for n, facts in sorted(shown.items()):
        owner = cards[n]
        if SIBLING not in facts and len(facts) - (owner.fact.id in facts) >= VOCABULARY:
            continue  # vocabulary; a sibling deletion shows this very card's answer, however common
        named = ", ".join(f if f == SIBLING else f"'{f}'" for f in heapq.nsmallest(3, facts)) + (
            f" and {len(facts) - 3} more" if len(facts) > 3 else ""
        )
        yield owner, "give-away", "warning", f"the answer '{owner.answer}' stands on the front of a card of {named}"


def _fronts_showing(cards: Sequence[Card], answers: dict[tuple[str, str], list[int]]) -> dict[tuple[str, str], list[int]]:
    """Each answer (by deck and normalised text) -> the cards whose fronts show it, in order."""
    lengths: dict[tuple[str, str], set[int]] = defaultdict(set)  # deck and first word -> answers' lengths in words
    for deck, answer in answers:
        words = answer.split()
        lengths[(deck, words[0])].add(len(words))
    hits: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, card in enumerate(cards):
        deck, words = card.fact.topic.deck, norm(card.front).split()
        found: set[tuple[str, str]] = set()
        for start, word in enumerate(words):
            for length in lengths.get((deck, word), ()):
                if start + length <= len(words) and (key := (deck, " ".join(words[start : start + length]))) in answers:
                    found.add(key)
        for key in sorted(found):
            hits[key].append(n)
    return hits


def _shown(
    cards: Sequence[Card], owners: list[int], showing: list[int], by_word: dict[str, set[int]]
) -> Iterator[tuple[int, frozenset[str]]]:
    """For each card giving one answer, the facts whose fronts show that answer (SIBLING for a
    deletion of its own cloze text); none where nothing does.

    Most cards ask from nothing a front must also show: the facts showing the answer are then
    the same for each, less its own fact where only its own note shows it.
    """
    notes: dict[str, set[tuple[str, str]]] = defaultdict(set)  # a fact -> its notes whose fronts show the answer
    fronts: dict[tuple[str, str], set[str]] = defaultdict(set)  # a cloze note -> its fronts that show it
    for n in showing:
        card = cards[n]
        notes[card.fact.id].add((card.pattern, card.note_key))
        if card.kind.cloze:
            fronts[(card.pattern, card.note_key)].add(card.front)
    everyone = frozenset(notes)  # shared by the cards that give this answer, never copied for each
    for n in owners:
        owner = cards[n]
        note = (owner.pattern, owner.note_key)
        asked = _asked_from(owner)
        if asked:
            rare = min((w for text in asked for w in norm(text).split()), key=lambda w: len(by_word.get(w, ())), default="")
            also = sorted(set(showing) & by_word.get(rare, set()))
            facts = frozenset(
                cards[m].fact.id
                for m in also
                if (cards[m].pattern, cards[m].note_key) != note and all(contains(cards[m].front, t) for t in asked)
            )
        else:
            facts = everyone if notes.get(owner.fact.id, set()) - {note} else everyone - {owner.fact.id}
        if fronts.get(note, set()) - {owner.front}:
            facts = facts | {SIBLING}  # two deletions of one text show each other
        if facts:
            yield n, facts


def reverses(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    """A reverse card asks for a subject from its attribute; another subject with the same
    (or a near-identical) attribute makes two right answers. Rivals are looked up in an index
    of each note type's attributes, not compared with every other note."""
    forward: dict[str, Card] = {}
    for card in cards:
        if not card.template.reverse:
            forward.setdefault(card.note_key, card)
    by_pattern: dict[str, list[Card]] = defaultdict(list)
    for card in forward.values():
        by_pattern[card.pattern].append(card)
    attributes = {pattern: Index([tokens(c.answer) for c in members], NEAR_IDENTICAL) for pattern, members in by_pattern.items()}
    for card in cards:
        own = forward.get(card.note_key)
        if not card.template.reverse or own is None or card.pattern not in attributes:
            continue
        alike = (by_pattern[card.pattern][n] for n in attributes[card.pattern].like(tokens(own.answer)))
        rivals = {
            other.answer if other.pattern in ("food_source", "exercise") else other.fact.id
            for other in alike
            if other.fact.id != card.fact.id
        }
        if rivals:
            yield (
                card,
                "reverse-not-unique",
                "error",
                (f"asks which answer goes with '{own.answer}', but {', '.join(sorted(rivals))} has it too"),
            )

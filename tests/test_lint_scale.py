"""The checks between cards, made near-linear, find exactly what the all-pairs code found.

The reference below is the code as it was before (issue 13, item 18), kept verbatim: the
fast checks must give lint the same findings (the same first message per fact, which a
report shows, and the same cards) on sources full of near-duplicates.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardgen import interference
from cardgen.cards import Card, cards_of
from cardgen.interference import _uncited, citation_pattern
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import norm
from cardgen.quality import NEAR_IDENTICAL, VOCABULARY, Severity
from cardgen.records import Source
from cardgen.render import visible
from cardgen.similar import contains as _contains
from cardgen.similar import jaccard as _similar
from cardgen.similar import template_tokens as _template_tokens
from cardgen.similar import tokens as _tokens
from cardgen.validate import read_source

Raw = Iterator[tuple[Card, str, Severity, str]]


# --- the reference: lint.py's checks between cards before they were made near-linear ---------


def old_near_pairs(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    """Interference: identical or near-identical fronts with different answers."""
    by_front: dict[str, list[Card]] = defaultdict(list)
    for card in cards:
        by_front[norm(card.front)].append(card)
    for same in by_front.values():
        if len({norm(c.answer) for c in same}) > 1:
            for card in same:
                others = sorted({c.answer for c in same if norm(c.answer) != norm(card.answer)})
                yield card, "identical-fronts", "error", f"another card has this front and answers {', '.join(others)!r}"
    # Near-identical: what varies between fronts (the template's own words left out),
    # compared within buckets of cards that share a rare word so the work stays near-linear.
    # Siblings of one list are one overlapping cloze, alike by design.
    template_words = {(c.pattern, c.template.key): _template_tokens(c.template) for c in cards}
    tokens = [_tokens(c.front) - template_words[(c.pattern, c.template.key)] for c in cards]
    frequency: dict[str, int] = defaultdict(int)
    for token_set in tokens:
        for token in token_set:
            frequency[token] += 1
    buckets: dict[str, list[int]] = defaultdict(list)
    for index, token_set in enumerate(tokens):
        for token in sorted(token_set, key=lambda t: (frequency[t], t))[:3]:
            buckets[token].append(index)
    seen: set[tuple[int, int]] = set()
    for members in buckets.values():
        for a, b in itertools.combinations(members, 2):
            first, second = cards[a], cards[b]
            if (a, b) in seen or first.fact.id == second.fact.id or norm(first.front) == norm(second.front):
                continue
            seen.add((a, b))
            if norm(first.answer) == norm(second.answer):
                continue
            if (first.pattern, first.template.key) == (second.pattern, second.template.key):
                similarity = _similar(tokens[a], tokens[b])
            else:  # different card types: their own words tell them apart too
                similarity = _similar(_tokens(first.front), _tokens(second.front))
            if similarity >= NEAR_IDENTICAL:
                for card, other in ((first, second), (second, first)):
                    yield (
                        card,
                        "near-identical-fronts",
                        "warning",
                        (f"front {similarity:.0%} like that of fact '{other.fact.id}', which answers '{other.answer}'"),
                    )


def old_source_only(cards: Sequence[Card], citations: re.Pattern[str]) -> Iterator[tuple[Card, str, Severity, str]]:
    """Fronts that differ only by the document they cite, with different answers: the learner
    is taught which article said what. Identical fronts are identical-fronts' business."""
    by_front: dict[str, list[Card]] = defaultdict(list)
    for card in cards:
        by_front[_uncited(card.front, citations)].append(card)
    for same in by_front.values():
        if len({norm(c.front) for c in same}) < 2:
            continue
        for card in same:
            others = sorted(
                {f"'{c.fact.id}' ({c.answer})" for c in same if norm(c.front) != norm(card.front) and norm(c.answer) != norm(card.answer)}
            )
            if others:
                yield (
                    card,
                    "source-only-difference",
                    "error",
                    (
                        f"the front differs only by the document it cites from that of {', '.join(others)}; "
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
    fields = PATTERNS[card.pattern].fields
    return [
        value
        for field, html in zip(fields, card.fields_html, strict=True)
        if field.key not in _CONTEXT_FIELDS
        and (value := visible(html))
        and norm(value) != norm(card.answer)
        and _contains(card.front, value)
    ]


def old_give_aways(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    """An answer that stands on the front of another note's card in the same deck.

    Two deletions of one cloze text show each other's answers: a give-away too.
    A reverse card's answer (the nutrient of 'Kiwi: rich in which nutrient?') is given away
    only by a front that also shows what it asks from (kiwi).

    An answer that the fronts of VOCABULARY or more other facts show ("osteoporosis",
    "calcium" in a deck on bone) is the deck's vocabulary: seen everywhere, it cues no one
    card. A give-away is an answer one or two other facts show: a sibling's blanked member,
    a definition printed on the card that asks for it.

    Every answer is indexed by deck and normalised text; each front's word runs up to the
    longest answer are looked up, so the work grows with the deck, not with its pairs.
    """
    answers: dict[tuple[str, str], list[Card]] = defaultdict(list)
    for card in cards:
        answer = norm(card.answer)
        if len(answer) >= 2:
            answers[(card.fact.topic.deck, answer)].append(card)
    longest = max((len(answer.split()) for _, answer in answers), default=0)
    shown: dict[int, set[str]] = defaultdict(set)  # index of an answering card -> facts showing it
    index = {id(card): n for n, card in enumerate(cards)}
    for card in cards:
        words = norm(card.front).split()
        for start in range(len(words)):
            for end in range(start + 1, min(start + longest, len(words)) + 1):
                for owner in answers.get((card.fact.topic.deck, " ".join(words[start:end])), ()):
                    sibling = (owner.pattern, owner.note_key) == (card.pattern, card.note_key)
                    if sibling and card.front != owner.front and PATTERNS[card.pattern].cloze:
                        shown[index[id(owner)]].add(SIBLING)  # two deletions of one text show each other
                    elif not sibling and all(_contains(card.front, shown_text) for shown_text in _asked_from(owner)):
                        shown[index[id(owner)]].add(card.fact.id)
    for n, facts in sorted(shown.items()):
        owner = cards[n]
        if SIBLING not in facts and len(facts - {owner.fact.id}) >= VOCABULARY:
            continue  # vocabulary; a sibling deletion shows this very card's answer, however common
        named = ", ".join(f if f == SIBLING else f"'{f}'" for f in sorted(facts)[:3]) + (
            f" and {len(facts) - 3} more" if len(facts) > 3 else ""
        )
        yield owner, "give-away", "warning", f"the answer '{owner.answer}' stands on the front of a card of {named}"


def old_reverses(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    """A reverse card asks for a subject from its attribute; another subject with the same
    (or a near-identical) attribute makes two right answers."""
    forward: dict[str, Card] = {}
    for card in cards:
        if not card.template.reverse:
            forward.setdefault(card.note_key, card)
    by_attribute: dict[str, list[Card]] = defaultdict(list)
    for card in forward.values():
        by_attribute[norm(card.answer)].append(card)
    for card in cards:
        own = forward.get(card.note_key)
        if not card.template.reverse or own is None:
            continue
        attribute = _tokens(own.answer)
        rivals = {
            other.answer if other.pattern in ("food_source", "exercise") else other.fact.id
            for other in forward.values()
            if other.pattern == card.pattern
            and other.fact.id != card.fact.id
            and _similar(attribute, _tokens(other.answer)) >= NEAR_IDENTICAL
        }
        if rivals:
            yield (
                card,
                "reverse-not-unique",
                "error",
                (f"asks which answer goes with '{own.answer}', but {', '.join(sorted(rivals))} has it too"),
            )


# --- sources full of near-duplicates ---------------------------------------------------------

WORDS = "bone calcium vitamin density mineral zinc kale gait marrow yoga tofu iron".split()
QUOTE = "Bone is living tissue."
CUES = ["", "", "", "Doc A article", "Doc B article's table", "the Doc B article"]
TEMPLATE_WORDS = ["role", "health", "deficiency", "lead", "nutrient", "play"]  # other card types' own words
TEMPLATED = "in bone health what is the daily amount of calcium for adults of type"  # a prompt a deck repeats


def _near_duplicates(seed: int, facts: int, vocabulary: int) -> str:
    """A valid source whose fronts come from a few words: identical, near-identical and
    source-only fronts, shared answers, answers other fronts show, reverse cards with rivals,
    fronts long enough (15+ words) that their three rarest words miss a near-duplicate."""
    rng = random.Random(seed)
    words = WORDS[:vocabulary]
    lone = itertools.count()

    def word() -> str:
        """Mostly the few words; now and then one no other front has, a rare one, or one
        another card type puts on every front."""
        roll = rng.random()
        if roll < 0.08:
            return f"u{next(lone)}"
        if roll < 0.12:
            return f"r{rng.randint(0, 20)}"
        return rng.choice(TEMPLATE_WORDS) if roll < 0.16 else rng.choice(words)

    def phrase(low: int, high: int) -> str:
        return " ".join(word() for _ in range(rng.randint(low, high)))

    lines = ["format: 2", "namespace: lint-scale", "documents:"]
    for key, short in (("a", "Doc A article"), ("b", "Doc B article")):
        lines += [f"  {key}:", f'    title: "Document {key}"', f'    short: "{short}"', '    file: "doc.txt"']
    lines += ["decks:"]
    for deck in ("one", "two"):
        lines += [f"  - id: {deck}", f'    name: "{deck}"', f"    tag: {deck}", '    description: "Generated."', "    topics:"]
        lines += [f'      - {{id: {deck}-{t}, name: "{deck} {t}"}}' for t in range(2)]
    lines.append("facts:")
    reversed_attributes: set[tuple[str, str]] = set()
    attributes: set[tuple[str, str]] = set()
    answers: list[str] = []
    for i in range(facts):
        topic = ["one-0", "one-1", "two-0", "two-1"][i] if i < 4 else f"{rng.choice(['one', 'two'])}-{rng.randint(0, 1)}"
        lines += [
            f"  - id: f{i}",
            f"    topic: {topic}",
            "    sources:",
            f"      - document: {rng.choice('ab')}",
            f'        quote: "{QUOTE}"',
        ]
        kind = rng.choice(["concept", "concept", "cloze", "nutrient_role", "deficiency", "food_source", "ms_factor"])
        cue = rng.choice(CUES)
        if kind == "concept":
            answer = rng.choice(answers) if answers and rng.random() < 0.3 else phrase(1, 3)
            answers.append(answer)
            roll = rng.random()
            prompt = phrase(2, 5) if roll < 0.5 else phrase(14, 20) if roll < 0.7 else f"{TEMPLATED} {phrase(1, 2)}"
            citing = f", per the {cue}" if cue else ""
            lines += ["    pattern: concept", f'    prompt: "What does {prompt}{citing} do?"', f'    answer: "{answer}"']
        elif kind == "cloze":
            parts = [phrase(1, 4)] + [f"[[{phrase(1, 2)}]] {phrase(0, 3)}" for _ in range(rng.randint(1, 3))]
            lines += ["    pattern: cloze", f'    text: "{" ".join(parts)}."']
        elif kind in ("nutrient_role", "deficiency"):
            subject = rng.choice(words).capitalize()
            attribute = phrase(3, 8)
            while (kind, norm(attribute)) in reversed_attributes:  # validation refuses a reverse card with rivals of the same words
                attribute += f" {rng.choice(words)}"
            reverse = rng.random() < 0.5 and (kind, norm(attribute)) not in attributes
            attributes.add((kind, norm(attribute)))
            if reverse:
                reversed_attributes.add((kind, norm(attribute)))
            field = "role" if kind == "nutrient_role" else "effect"
            lines += [f"    pattern: {kind}", f'    nutrient: "{subject}"', f'    {field}: "{attribute}"']
            lines += ["    reverse: true"] if reverse else []
            lines += [f'    cue: "{cue}"'] if cue else []
        elif kind == "food_source":
            foods = rng.sample(words, rng.randint(2, min(5, len(words))))
            lines += ["    pattern: food_source", f'    nutrient: "{rng.choice(words).capitalize()}"', f"    foods: [{', '.join(foods)}]"]
        else:
            lines += ["    pattern: ms_factor", f'    factor: "{phrase(1, 3)}"', f'    explanation: "{phrase(2, 6)}"']
    return "\n".join(lines) + "\n"


def _cards(folder: Path, seed: int, facts: int, vocabulary: int) -> tuple[Source, list[Card]]:
    path = folder / f"s{seed}-{facts}-{vocabulary}.yaml"
    path.write_text(_near_duplicates(seed, facts, vocabulary), encoding="utf-8")
    (folder / "doc.txt").write_text(QUOTE + "\n", encoding="utf-8")
    source = read_source(path)
    return source, cards_of(source)


def _checks(source: Source) -> list[tuple[str, Callable[[Sequence[Card]], Raw], Callable[[Sequence[Card]], Raw]]]:
    """Each check between cards: its name, the fast code, the reference."""
    citations = citation_pattern([d.short for d in source.documents.values()] + [f.data.get("cue") or "" for f in source.facts])
    return [
        ("near_pairs", interference.near_pairs, old_near_pairs),
        ("source_only", lambda cards: interference.source_only(cards, citations), lambda cards: old_source_only(cards, citations)),
        ("give_aways", interference.give_aways, old_give_aways),
        ("reverses", interference.reverses, old_reverses),
    ]


def _folded(raw: Raw) -> dict[tuple[str, str], tuple[Severity, str, frozenset[int]]]:
    """What lint keeps of a check's findings: per fact and check, the first message (an error
    before a warning) and which cards it finds."""
    first: dict[tuple[str, str], tuple[Severity, str]] = {}
    hit: dict[tuple[str, str], set[int]] = defaultdict(set)
    for card, check, severity, message in raw:
        key = (card.fact.id, check)
        hit[key].add(id(card))
        if key not in first or (severity == "error" and first[key][0] == "warning"):
            first[key] = (severity, message)
    return {key: (*first[key], frozenset(hit[key])) for key in first}


def _same(source: Source, cards: list[Card]) -> dict[str, int]:
    """Assert every check finds what the reference finds; how many findings, by check.

    Near-identical fronts yield each card's first pair only, not every pair (a templated deck
    has a quadratic number): compared as lint keeps them. The others yield what the
    reference yields, in its order."""
    found = {}
    for name, fast, reference in _checks(source):
        expected, actual = list(reference(cards)), list(fast(cards))
        assert _folded(actual) == _folded(expected), name
        if name != "near_pairs":
            assert [(id(c), *rest) for c, *rest in actual] == [(id(c), *rest) for c, *rest in expected], name
        found[name] = len(_folded(expected))
    return found


@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), facts=st.integers(4, 120), vocabulary=st.integers(2, len(WORDS)))
def test_checks_between_cards_find_what_all_pairs_found(tmp_path: Path, seed: int, facts: int, vocabulary: int) -> None:
    source, cards = _cards(tmp_path, seed, facts, vocabulary)
    _same(source, cards)


@pytest.mark.parametrize("vocabulary", [3, 6, 9])
def test_a_large_near_duplicate_deck_finds_what_all_pairs_found(tmp_path: Path, vocabulary: int) -> None:
    """Not vacuous: every check finds something here, and finds it as the reference does."""
    source, cards = _cards(tmp_path, 7, 300, vocabulary)
    found = _same(source, cards)
    assert all(found.values()), found

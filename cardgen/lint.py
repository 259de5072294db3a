"""Card quality, measured on the cards as they will be built (../shared/card-quality.md).

Every finding points at the fact in the source it comes from. A maintainer accepts a
finding on one fact by naming the check under the fact's `accept:` with the reason, so a
deliberate exception is visible in review; an acceptance that no longer matches a finding
is reported too, so none outlives its reason.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import genanki

from cardgen import package
from cardgen.build import notes_of
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import CSS, Pattern, Template, norm
from cardgen.quality import (
    ANSWER_ERROR,
    ANSWER_WARN,
    CLOZE_PROMPT_WARN,
    ITEMS_ERROR,
    ITEMS_WARN,
    NEAR_IDENTICAL,
    PROMPT_WARN,
    Severity,
)
from cardgen.records import Fact, Source
from cardgen.render import render, visible

_ANSWER = re.compile(r'<div class="answer">(.*?)</div>', re.S)
_DELETION = re.compile(r'<span class="cloze">(.*?)</span>', re.S)
_UNSAFE = re.compile(r"<\s*(script|style|iframe)\b|\bon\w+\s*=|javascript:", re.I)
_LIST_ALL = re.compile(r"\b(list|name) (all|every)\b", re.I)
_YES_NO = re.compile(r"^(yes|no|true|false)\b", re.I)


@dataclass(frozen=True)
class Card:
    """One card as the learner will see it, and where it comes from."""

    fact: Fact
    pattern: str
    template: Template
    note_key: str
    front: str  # visible text
    back: str  # visible text of the whole back
    answer: str  # visible text of what is asked for
    fields_html: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    check: str
    severity: Severity
    message: str
    fact: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: [{self.check}] {self.message}"


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    accepted: tuple[Finding, ...]
    cards: int

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def cards_of(source: Source) -> list[Card]:
    """Every card the source builds, rendered as Anki renders our templates."""
    result = []
    models: dict[str, genanki.Model] = {}
    for spec in notes_of(source):
        pattern = PATTERNS[spec.pattern]
        model = models.get(spec.pattern) or models.setdefault(spec.pattern, package.model(pattern))
        fields = {f.name: value for f, value in zip(pattern.fields, spec.fields, strict=True)}
        for ordinal in package.card_ords(package.note(model, spec.fields)):
            template = pattern.templates[0 if pattern.cloze else ordinal]
            front_html = render(template.front, fields, ordinal, question=True)
            back_html = render(template.back, fields, ordinal, question=False, front=front_html)
            if pattern.cloze:
                answer_html = " ".join(_DELETION.findall(render(template.back.split("<hr id=answer>")[0], fields, ordinal, question=False)))
            else:
                found = _ANSWER.search(back_html)
                answer_html = found.group(1) if found else ""
            result.append(
                Card(spec.fact, spec.pattern, template, spec.key, visible(front_html), visible(back_html), visible(answer_html), spec.fields, spec.tags)
            )
    return result


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text)


def _items(answer: str) -> int:
    """How many things an answer asks to recall: 'A, B and C' is three; a sentence is one."""
    parts = [p for p in re.split(r",|;|\band\b|\bor\b", answer) if p.strip()]
    if all(len(_words(p)) <= 4 for p in parts):
        return len(parts)
    return len([p for p in answer.split(";") if p.strip()])


def _prompt(card: Card) -> str:
    """The front without the cloze blank or the list blank: what the learner reads to recall."""
    return card.front.replace("[...]", " ").replace("[…]", " ")


def _contains(text: str, phrase: str) -> bool:
    phrase = norm(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", norm(text)) is not None


def _per_card(card: Card) -> Iterator[tuple[str, Severity, str]]:
    words = len(_words(card.answer))
    # A list member is one item by construction, even "Fortified Cows and Non Dairy Milks".
    items = 1 if card.pattern in ("food_source", "exercise") and not card.template.reverse else _items(card.answer)
    if _LIST_ALL.search(card.front):
        yield "items-per-card", "error", "asks to list them all; one card per item, or ask for any 3"
    elif items > ITEMS_ERROR:
        yield "items-per-card", "error", f"asks for {items} items; one card per item, or at most 3"
    elif items >= ITEMS_WARN:
        yield "items-per-card", "warning", f"asks for {items} items; one is best"
    if words > ANSWER_ERROR:
        yield "answer-length", "error", f"answer of {words} words; at most {ANSWER_ERROR}, move detail to extra"
    elif words > ANSWER_WARN:
        yield "answer-length", "warning", f"answer of {words} words; aim for {ANSWER_WARN} or fewer"
    limit = CLOZE_PROMPT_WARN if card.template.key == "cloze" else PROMPT_WARN
    prompt_words = len(_words(_prompt(card)))
    if prompt_words > limit:
        yield "prompt-length", "warning", f"prompt of {prompt_words} words; aim for {limit} or fewer"
    if card.answer and _contains(_prompt(card), card.answer):
        yield "answer-in-prompt", "error", f"the answer '{card.answer}' stands in the prompt"
    if _YES_NO.match(card.answer):
        yield "yes-no", "error", f"a yes/no answer ('{card.answer}'); ask for the fact itself"
    if "Source:" not in card.back or not card.back.split("Source:", 1)[1].strip():
        yield "missing-source", "error", "the back names no source; give the fact a 'sources' entry"
    if not card.front or not card.answer:
        yield "empty-render", "error", f"the {'front' if not card.front else 'answer'} renders empty"
    for value in card.fields_html:
        bad = _UNSAFE.search(value)
        if bad:
            yield "unsafe-markup", "error", f"a field holds '{bad.group()}'; field text must be escaped"
            break


def _tokens(text: str) -> frozenset[str]:
    return frozenset(norm(text).split())


def _template_tokens(template: Template) -> frozenset[str]:
    """The words a card type puts on every front: not what tells two cards apart."""
    return _tokens(visible(re.sub(r"\{\{[^}]*\}\}", " ", template.front)))


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def _pairs(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
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
                    yield card, "near-identical-fronts", "warning", (
                        f"front {similarity:.0%} like that of fact '{other.fact.id}', which answers '{other.answer}'"
                    )


def _reverses(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
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
            yield card, "reverse-not-unique", "error", (
                f"asks which answer goes with '{own.answer}', but {', '.join(sorted(rivals))} has it too"
            )


def _topics(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
    by_topic: dict[str, list[Card]] = defaultdict(list)
    for card in cards:
        by_topic[card.fact.topic.id].append(card)
    for topic, members in by_topic.items():
        if len(members) == 1:
            yield members[0], "single-card-topic", "warning", f"topic '{topic}' has one card; add another angle"


def template_problems(pattern: Pattern, css: str = CSS) -> Iterator[str]:
    """What is wrong with a note type for desktop and phone, whatever its cards say."""
    for template in pattern.templates:
        where = f"card type '{template.name}' of {pattern.name}"
        if "<hr id=answer>" not in template.back:
            yield f"{where}: the back has no <hr id=answer>"
        if not pattern.cloze and not template.back.startswith("{{FrontSide}}"):
            yield f"{where}: the back does not start with {{{{FrontSide}}}}"
        for side in (template.front, template.back):
            if re.search(r"https?://", side):
                yield f"{where}: loads something from the network"
    if ".nightMode" not in css or ".night_mode" not in css:
        yield f"{pattern.name}: the CSS styles only one of .nightMode and .night_mode"
    if re.search(r"(?<![-\w])(max-)?width\s*:\s*\d+px", css):
        yield f"{pattern.name}: the CSS fixes a width in px; use relative units"
    if re.search(r"https?://|@import", css):
        yield f"{pattern.name}: the CSS loads something from the network"


def lint(source: Source) -> Report:
    """Every finding on the cards the source builds, minus those the source accepts."""
    cards = cards_of(source)
    raw: list[tuple[Card, str, Severity, str]] = []
    for card in cards:
        raw += [(card, check, severity, message) for check, severity, message in _per_card(card)]
    raw += list(_pairs(cards))
    raw += list(_reverses(cards))
    raw += list(_topics(cards))
    file = str(source.path)
    found: dict[tuple[str, str], Finding] = {}  # one finding per fact and check: the first card's
    for card, check, severity, message in raw:
        line, column = card.fact.mark
        key = (card.fact.id, check)
        prior = found.get(key)
        if prior is None or (severity == "error" and prior.severity == "warning"):
            found[key] = Finding(file, line, column, check, severity, f"fact '{card.fact.id}': {message}", card.fact.id)
    used = {p: PATTERNS[p] for p in sorted({c.pattern for c in cards})}
    for pattern in used.values():
        for problem in template_problems(pattern):
            found[(pattern.key, f"template:{problem}")] = Finding(
                f"cardgen/patterns/{pattern.key}.py", 1, 1, "template", "error", problem
            )
    accepted: list[Finding] = []
    findings: list[Finding] = []
    facts = {f.id: f for f in source.facts}
    for finding in found.values():
        fact = facts.get(finding.fact or "")
        (accepted if fact and finding.check in fact.accept else findings).append(finding)
    for fact in source.facts:
        for check in fact.accept:
            if (fact.id, check) not in found:
                line, column = fact.mark
                findings.append(Finding(file, line, column, check, "warning", f"fact '{fact.id}' accepts '{check}', which no longer finds anything; remove the acceptance", fact.id))
    return Report(tuple(sorted(findings)), tuple(sorted(accepted)), len(cards))


def lint_file(path: Path) -> Report:
    from cardgen.validate import read_source

    return lint(read_source(path))

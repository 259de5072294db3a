"""Card quality, measured on the cards as they will be built (../shared/card-quality.md).

Every finding points at the fact in the source it comes from. A maintainer accepts a
finding on one fact by naming the check under the fact's `accept:` with the reason, so a
deliberate exception is visible in review; an acceptance that no longer matches a finding
is reported too, so none outlives its reason.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from cardgen import package
from cardgen.assemble import notes_of
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import CSS, Pattern, Template, norm
from cardgen.quality import (
    ANSWER_ERROR,
    ANSWER_WARN,
    CLOZE_PROMPT_WARN,
    ENUMERATION_BLANK,
    FRONT_CHARS,
    ITEMS_ERROR,
    ITEMS_WARN,
    NEAR_IDENTICAL,
    PROMPT_WARN,
    VOCABULARY,
    Severity,
)
from cardgen.records import Fact, Source
from cardgen.render import render, visible

_ANSWER = re.compile(r'<div class="answer">(.*?)</div>', re.S)
_DELETION = re.compile(r'<span class="cloze">(.*?)</span>', re.S)
# Markup that runs or restyles: a script, style or frame element, an event attribute inside
# a tag, a javascript: link. Not plain text that looks like one ("one = one", "javascript: a").
_UNSAFE = re.compile(r"<\s*(script|style|iframe)\b|<[^>]*\son[a-z]+\s*=|<[^>]*\b(href|src)\s*=\s*[\"']?\s*javascript:", re.I)
_LIST_ALL = re.compile(r"\b(list|name) (all|every)\b", re.I)
_YES_NO = re.compile(r"^(yes|no|true|false)\b", re.I)
_BLANK = re.compile(r"\[(?:\.\.\.|…)\]")  # a cloze deletion or a list member, as the front shows it
_CLAUSE = re.compile(r"[;:()?!]|\.(?=\s|$)")  # where a shown list ends; commas join its members
_LINK = r"(?:(?:as per|according to|per|from|in|by)(?: the| an| a)? )?"  # "per the" before a citation


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
    cards: int = 1  # how many of the fact's cards the check finds; the message is the first one's

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
    models: dict[str, package.Model] = {}
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


def _listed(front: str) -> int:
    """How many members the shown list around a blank has, the blank among them; 0 without one.

    Read from the front as the learner sees it, whatever note type made it: within a clause,
    the run of short comma-separated parts around the blank ('Milk, [...], Cheese'), plus the
    part before the run, which ends in the list's first member ('include age, gender and
    [...]'), plus one for an 'and'/'or' joining the last two. A count, not a parse: 'Enriched
    or Fortified Grain Products' at the end of a list counts twice.
    """
    most = 0
    for clause in _CLAUSE.split(_BLANK.sub("\0", front)):
        if "\0" not in clause:
            continue
        parts = clause.split(",")
        short = [len(_words(part)) + part.count("\0") <= 5 for part in parts]
        at = next(i for i, part in enumerate(parts) if "\0" in part)
        first, last = at, at
        while first > 0 and short[first - 1]:
            first -= 1
        while last + 1 < len(parts) and short[last + 1]:
            last += 1
        count = last - first + 1 + (first > 0 and bool(_words(parts[first - 1])))
        count += last > first and re.search(r"\w\s+(and|or)\s+\w", parts[last]) is not None
        most = max(most, count)
    return most


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
    members = _listed(card.front)
    if members >= ENUMERATION_BLANK:
        yield "enumeration-blank", "error", (
            f"blanks one of {members} listed members, recalled from the list's wording; for an unordered set "
            "ask member -> group, 'name two', or a card per group"
        )
    if len(card.front) > FRONT_CHARS:
        yield "front-length", "warning", f"front of {len(card.front)} characters; a phone shows about {FRONT_CHARS}, move context to the back"
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


def _source_only(cards: Sequence[Card], citations: re.Pattern[str]) -> Iterator[tuple[Card, str, Severity, str]]:
    """Fronts that differ only by the document they cite, with different answers: the learner
    is taught which article said what. Identical fronts are identical-fronts' business."""
    by_front: dict[str, list[Card]] = defaultdict(list)
    for card in cards:
        by_front[_uncited(card.front, citations)].append(card)
    for same in by_front.values():
        if len({norm(c.front) for c in same}) < 2:
            continue
        for card in same:
            others = sorted({
                f"'{c.fact.id}' ({c.answer})"
                for c in same
                if norm(c.front) != norm(card.front) and norm(c.answer) != norm(card.answer)
            })
            if others:
                yield card, "source-only-difference", "error", (
                    f"the front differs only by the document it cites from that of {', '.join(others)}; "
                    "make one card about the knowledge, each document's words on the back"
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
        and (value := visible(html)) and norm(value) != norm(card.answer) and _contains(card.front, value)
    ]


def _give_aways(cards: Sequence[Card]) -> Iterator[tuple[Card, str, Severity, str]]:
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
        named = ", ".join(f if f == SIBLING else f"'{f}'" for f in sorted(facts)[:3]) + (f" and {len(facts) - 3} more" if len(facts) > 3 else "")
        yield owner, "give-away", "warning", f"the answer '{owner.answer}' stands on the front of a card of {named}"


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
    citations = [d.short for d in source.documents.values()] + [f.data.get("cue") or "" for f in source.facts]
    raw += list(_source_only(cards, citation_pattern(citations)))
    raw += list(_give_aways(cards))
    raw += list(_reverses(cards))
    raw += list(_topics(cards))
    file = str(source.path)
    found: dict[tuple[str, str], Finding] = {}  # one finding per fact and check: the first card's
    hit: dict[tuple[str, str], set[int]] = defaultdict(set)
    for card, check, severity, message in raw:
        line, column = card.fact.mark
        key = (card.fact.id, check)
        hit[key].add(id(card))
        prior = found.get(key)
        if prior is None or (severity == "error" and prior.severity == "warning"):
            found[key] = Finding(file, line, column, check, severity, f"fact '{card.fact.id}': {message}", card.fact.id)
    found = {key: dataclasses.replace(finding, cards=len(hit[key])) for key, finding in found.items()}
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

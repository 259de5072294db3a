"""Card quality, measured on the cards as they will be built (../shared/card-quality.md).

Every finding points at the fact in the source it comes from. A maintainer accepts a
finding on one fact by naming the check under the fact's `accept:` with the reason, so a
deliberate exception is visible in review; an acceptance that no longer matches a finding
is reported too, so none outlives its reason.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from cardgen.cards import Card, cards_of
from cardgen.interference import citation_pattern, give_aways, near_pairs, reverses, source_only
from cardgen.patterns.base import CSS, Pattern
from cardgen.quality import (
    ANSWER_ERROR,
    ANSWER_WARN,
    CLOZE_PROMPT_WARN,
    ENUMERATION_BLANK,
    FRONT_CHARS,
    ITEMS_ERROR,
    ITEMS_WARN,
    PROMPT_WARN,
    Severity,
)
from cardgen.records import Source
from cardgen.similar import contains

__all__ = ["Card", "Finding", "Report", "cards_of", "lint", "lint_file", "template_problems"]

# Markup that runs or restyles: a script, style or frame element, an event attribute inside
# a tag, a javascript: link. Not plain text that looks like one ("one = one", "javascript: a").
_UNSAFE = re.compile(r"<\s*(script|style|iframe)\b|<[^>]*\son[a-z]+\s*=|<[^>]*\b(href|src)\s*=\s*[\"']?\s*javascript:", re.I)
_LIST_ALL = re.compile(r"\b(list|name) (all|every)\b", re.I)
_YES_NO = re.compile(r"^(yes|no|true|false)\b", re.I)
_BLANK = re.compile(r"\[(?:\.\.\.|…)\]")  # a cloze deletion or a list member, as the front shows it
_CLAUSE = re.compile(r"[;:()?!]|\.(?=\s|$)")  # where a shown list ends; commas join its members


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
    if card.answer and contains(_prompt(card), card.answer):
        yield "answer-in-prompt", "error", f"the answer '{card.answer}' stands in the prompt"
    members = _listed(card.front)
    if members >= ENUMERATION_BLANK:
        yield (
            "enumeration-blank",
            "error",
            (
                f"blanks one of {members} listed members, recalled from the list's wording; for an unordered set "
                "ask member -> group, 'name two', or a card per group"
            ),
        )
    if len(card.front) > FRONT_CHARS:
        yield (
            "front-length",
            "warning",
            f"front of {len(card.front)} characters; a phone shows about {FRONT_CHARS}, move context to the back",
        )
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
    raw += list(near_pairs(cards))
    citations = [d.short for d in source.documents.values()] + [f.data.get("cue") or "" for f in source.facts]
    raw += list(source_only(cards, citation_pattern(citations)))
    raw += list(give_aways(cards))
    raw += list(reverses(cards))
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
    used = {c.pattern: c.kind for c in sorted(cards, key=lambda c: c.pattern)}
    for pattern in used.values():
        for problem in template_problems(pattern, source.patterns.css):
            found[(pattern.key, f"template:{problem}")] = Finding(f"cardgen/patterns/{pattern.key}.py", 1, 1, "template", "error", problem)
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
                findings.append(
                    Finding(
                        file,
                        line,
                        column,
                        check,
                        "warning",
                        f"fact '{fact.id}' accepts '{check}', which no longer finds anything; remove the acceptance",
                        fact.id,
                    )
                )
    return Report(tuple(sorted(findings)), tuple(sorted(accepted)), len(cards))


def lint_file(path: Path) -> Report:
    from cardgen.validate import read_source

    return lint(read_source(path))

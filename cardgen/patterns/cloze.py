"""A sentence worth remembering whole, with [[deletions]] that become cloze cards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from cardgen.load import INVISIBLE
from cardgen.patterns.base import BACK_TAIL, EXTRA, LABELS, SOURCE, Field, Key, Template, common, tags, text
from cardgen.records import Fact, NoteSpec

DELETION = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
FRONT = '<div class="cloze-text">{{cloze:Text}}</div>\n' + LABELS  # "blank", not "[...]", to a screen reader
# A cloze back shows the text with the deletion filled in, not {{FrontSide}} (the blank).
BACK = '<div class="cloze-text">{{cloze:Text}}</div>\n<hr id=answer>\n' + BACK_TAIL


def to_cloze(value: str) -> str:
    """`a [[b]] c [[d]]` -> `a {{c1::b}} c {{c2::d}}`, every other character escaped."""
    parts = []
    last = 0
    for number, match in enumerate(DELETION.finditer(value), start=1):
        parts.append(text(value[last : match.start()]))  # its spaces too: "a [[b]] c" keeps them
        answer = text(match.group(1).strip()).replace(":", "&#58;")
        parts.append(f"{{{{c{number}::{answer}}}}}")
        last = match.end()
    parts.append(text(value[last:]))
    return "".join(parts).strip()


@dataclass(frozen=True)
class Cloze:
    key: str = "cloze"
    model_id: int = 1_735_689_600_002
    name: str = "cardgen: cloze"
    help: str = "a sentence with [[deletions]]; each deletion is one card"
    keys: tuple[Key, ...] = (Key("text", "text", help="the sentence; mark each part to recall as [[part]]"),)
    fields: tuple[Field, ...] = (Field("text", "Text"), EXTRA, SOURCE)
    templates: tuple[Template, ...] = (Template("cloze", "Cloze", FRONT, BACK),)
    cloze: bool = True
    per_fact: bool = True  # its notes and problems of a fact come of that fact alone

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        for fact in facts:
            value = fact.data["text"]
            deletions = DELETION.findall(value)
            outside = DELETION.sub("", value)
            if not deletions and "{{c" in value:
                yield fact, "text", "Anki's {{c1::...}} is not read here; mark the part to recall as [[...]]"
            elif not deletions:
                yield fact, "text", "no [[deletion]]; mark the part to recall, e.g. 'Osteoporosis is a [[thinning of the bones]]'"
            if any(not INVISIBLE.sub("", d).strip() for d in deletions):
                yield fact, "text", "an empty [[ ]] deletion (or one of invisible characters only); put the words to recall inside it"
            if any("[[" in d for d in deletions) or "]]" in outside or "[[" in outside or "[[[" in value or "]]]" in value:
                yield fact, "text", "unbalanced or nested [[ ]]; each deletion is one [[...]] pair, not nested"

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for fact in facts:
            fields = (to_cloze(fact.data["text"]),) + common(fact)
            yield NoteSpec(self.key, fact.id, fact, fields, tags(fact, self.key))


PATTERN = Cloze()

"""A question and its short answer: the pattern for any fact that fits no other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from cardgen.patterns.base import EXTRA, SOURCE, Field, Key, Template, back, common, tags, text
from cardgen.records import Fact, NoteSpec


@dataclass(frozen=True)
class Concept:
    key: str = "concept"
    model_id: int = 1_735_689_600_001
    name: str = "cardgen: concept"
    help: str = "a question with a short answer; detail goes in extra"
    keys: tuple[Key, ...] = (
        Key("prompt", "text", help="the question; name its topic, never start with 'It' or 'This'"),
        Key("answer", "text", help="the short answer"),
    )
    fields: tuple[Field, ...] = (Field("prompt", "Prompt"), Field("answer", "Answer"), EXTRA, SOURCE)
    templates: tuple[Template, ...] = (Template("card", "Card", '<div class="prompt">{{Prompt}}</div>', back("{{Answer}}")),)
    cloze: bool = False
    per_fact: bool = True  # its notes and problems of a fact come of that fact alone

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        return iter(())

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for fact in facts:
            fields = (text(fact.data["prompt"]), text(fact.data["answer"])) + common(fact)
            yield NoteSpec(self.key, fact.id, fact, fields, tags(fact, self.key))


PATTERN = Concept()

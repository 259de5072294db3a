"""One explanation of why bone mineral density is lower in multiple sclerosis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from cardgen.patterns.base import EXTRA, SOURCE, Field, Key, Template, back, common, tags, text
from cardgen.records import Fact, NoteSpec

FRONT = (
    '<div class="cue">Multiple sclerosis and low bone mineral density</div>\n'
    '<div class="prompt">How can <b>{{Factor}}</b> contribute?</div>'
)


@dataclass(frozen=True)
class MsFactor:
    key: str = "ms_factor"
    model_id: int = 1_735_689_600_008
    name: str = "cardgen: MS factor"
    help: str = "a factor that may explain low bone mineral density in MS, and how"
    keys: tuple[Key, ...] = (
        Key("factor", "text", help="a short name of the factor, e.g. 'long-term glucocorticoid use'"),
        Key("explanation", "text", help="how it contributes, as the document states it"),
    )
    fields: tuple[Field, ...] = (Field("factor", "Factor"), Field("explanation", "Explanation"), EXTRA, SOURCE)
    templates: tuple[Template, ...] = (Template("card", "Explanation", FRONT, back("{{Explanation}}")),)
    cloze: bool = False
    per_fact: bool = True  # its notes and problems of a fact come of that fact alone

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        return iter(())

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for fact in facts:
            fields = (text(fact.data["factor"]), text(fact.data["explanation"])) + common(fact)
            yield NoteSpec(self.key, fact.id, fact, fields, tags(fact, self.key))


PATTERN = MsFactor()

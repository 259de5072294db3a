"""An osteoporosis risk factor: whether it can be changed and, if so, what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from cardgen.patterns.base import EXTRA, SOURCE, Field, Key, Template, back, common, tags, text
from cardgen.records import Fact, NoteSpec

CUE = '<div class="cue">Osteoporosis risk factor</div>\n'
KIND_FRONT = CUE + '<div class="prompt"><b>{{Factor}}</b>: can it be changed?</div>'
ACTION_FRONT = "{{#Action}}\n" + CUE + '<div class="prompt"><b>{{Factor}}</b>: what can you do?</div>\n{{/Action}}'
MODIFIABLE = "Modifiable: a habit you can change"
NOT_MODIFIABLE = "Not modifiable"


@dataclass(frozen=True)
class RiskFactor:
    key: str = "risk_factor"
    model_id: int = 1_735_689_600_007
    name: str = "cardgen: risk factor"
    help: str = "an osteoporosis risk factor; a changeable one says what to do about it"
    keys: tuple[Key, ...] = (
        Key("factor", "text", help="the factor, e.g. 'Smoking'"),
        Key("modifiable", "bool", help="true if a habit can change it"),
        Key("action", "text", required=False, help="what the document says to do about it"),
    )
    fields: tuple[Field, ...] = (
        Field("factor", "Factor"),
        Field("kind", "Modifiable"),
        Field("action", "Action"),
        EXTRA,
        SOURCE,
    )
    templates: tuple[Template, ...] = (
        Template("kind", "Modifiable", KIND_FRONT, back("{{Modifiable}}")),
        Template("action", "Action", ACTION_FRONT, back("{{Action}}")),
    )
    cloze: bool = False
    per_fact: bool = True  # its notes and problems of a fact come of that fact alone

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        for fact in facts:
            if fact.data.get("action") and not fact.data["modifiable"]:
                yield fact, "action", "an action is given for a factor that is not modifiable; set modifiable: true or drop the action"

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for fact in facts:
            kind = MODIFIABLE if fact.data["modifiable"] else NOT_MODIFIABLE
            fields = (text(fact.data["factor"]), kind, text(fact.data.get("action") or "")) + common(fact)
            yield NoteSpec(self.key, fact.id, fact, fields, tags(fact, self.key))


PATTERN = RiskFactor()

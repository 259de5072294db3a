"""The cards a source builds, as the learner will see them: what lint and stats measure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cardgen import package
from cardgen.assemble import notes_of
from cardgen.patterns.base import Pattern, Template
from cardgen.records import Fact, Source
from cardgen.render import render, visible

_ANSWER = re.compile(r'<div class="answer">(.*?)</div>', re.S)
_DELETION = re.compile(r'<span class="cloze">(.*?)</span>', re.S)


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
    kind: Pattern  # the pattern of `pattern`, from the source's registry


def cards_of(source: Source) -> list[Card]:
    """Every card the source builds, rendered as Anki renders our templates."""
    result = []
    models: dict[str, package.Model] = {}
    for spec in notes_of(source):
        pattern = source.patterns[spec.pattern]
        model = models.get(spec.pattern) or models.setdefault(spec.pattern, package.model(pattern))
        fields = {f.name: value for f, value in zip(pattern.fields, spec.fields, strict=True)}
        for ordinal in package.card_ords(model, spec.fields):
            template = pattern.templates[0 if pattern.cloze else ordinal]
            front_html = render(template.front, fields, ordinal, question=True)
            back_html = render(template.back, fields, ordinal, question=False, front=front_html)
            if pattern.cloze:
                answer_html = " ".join(_DELETION.findall(render(template.back.split("<hr id=answer>")[0], fields, ordinal, question=False)))
            else:
                found = _ANSWER.search(back_html)
                answer_html = found.group(1) if found else ""
            result.append(
                Card(
                    spec.fact,
                    spec.pattern,
                    template,
                    spec.key,
                    visible(front_html),
                    visible(back_html),
                    visible(answer_html),
                    spec.fields,
                    spec.tags,
                    pattern,
                )
            )
    return result

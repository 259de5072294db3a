"""Adding a pattern is one module and one registry line: a pattern written here, in a registry
of this test's own, is built, imported, linted, previewed and diffed like a built-in one."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import pytest
from anki.collection import Collection
from conftest import T0, edit, run
from engine import import_package, render_problems, visible_text
from test_faults import files

from cardgen.build import build, diff
from cardgen.identity import Clock
from cardgen.lint import lint
from cardgen.patterns import PATTERNS, Registry
from cardgen.patterns.base import EXTRA, SOURCE, Field, Key, Template, back, common, tags, text
from cardgen.preview import render_cards
from cardgen.records import Fact, NoteSpec
from cardgen.validate import read_source


@dataclass(frozen=True)
class Definition:
    """A term and what the documents say it is: the whole of a new pattern."""

    key: str = "definition"
    model_id: int = 1_735_689_600_099
    name: str = "cardgen: definition"
    help: str = "a term the documents define, and the definition"
    keys: tuple[Key, ...] = (Key("term", "text", help="the term"), Key("meaning", "text", help="what the documents say it is"))
    fields: tuple[Field, ...] = (Field("term", "Term"), Field("meaning", "Meaning"), EXTRA, SOURCE)
    templates: tuple[Template, ...] = (Template("card", "Card", '<div class="prompt">What is <b>{{Term}}</b>?</div>', back("{{Meaning}}")),)
    cloze: bool = False

    def check(self, facts: Sequence[Fact]) -> Iterable[tuple[Fact, str, str]]:
        return [
            (f, "meaning", "the meaning names the term; say it another way")
            for f in facts
            if f.data["term"].lower() in f.data["meaning"].lower()
        ]

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for fact in facts:
            fields = (text(fact.data["term"]), text(fact.data["meaning"]), *common(fact))
            yield NoteSpec(self.key, fact.id, fact, fields, tags(fact, self.key))


WITH_DEFINITION = Registry(*PATTERNS.values(), Definition())

FACT = """
  - id: osteoporosis-term
    pattern: definition
    topic: basics
    sources:
      - document: ms-bone
        quote: "Osteoporosis is a thinning of the bones, with reduction in bone mass"
    term: "Osteoporosis"
    meaning: "A thinning of the bones, with reduction in bone mass"
"""


def test_a_registry_refuses_two_patterns_with_one_key_or_one_note_type_id() -> None:
    with pytest.raises(ValueError, match="has the key or model_id of pattern 'concept'"):
        Registry(*PATTERNS.values(), dataclasses.replace(Definition(), model_id=PATTERNS["concept"].model_id))
    with pytest.raises(ValueError, match="has the key or model_id of pattern 'cloze'"):
        Registry(*PATTERNS.values(), dataclasses.replace(Definition(), key="cloze"))


def test_a_pattern_of_a_registry_of_ones_own_builds_lints_previews_and_diffs(small: Path, tmp_path: Path, col: Collection) -> None:
    edit(small, "facts:\n", "facts:\n" + FACT)
    out = tmp_path / "decks"

    refused = run("validate", "--source", small)  # the built-in registry has no such pattern
    assert refused.exit_code == 1 and "definition" in refused.output

    build(small, out, clock=Clock(T0, T0), patterns=WITH_DEFINITION)
    log = import_package(col, out / "bones.apkg")
    assert log.new == 26 and render_problems(col) == []
    (note_id,) = col.find_notes('"note:cardgen: definition (test-small)"')
    card = col.get_note(note_id).cards()[0]
    assert visible_text(card.question()) == "What is Osteoporosis?"
    assert "A thinning of the bones, with reduction in bone mass" in visible_text(card.answer())

    report = lint(read_source(small, patterns=WITH_DEFINITION))
    assert report.cards == 46 and not [f for f in report.findings if f.check == "template"]
    previewed = [c for c in render_cards(small, patterns=WITH_DEFINITION) if c.fact == "osteoporosis-term"]
    assert [c.note_type for c in previewed] == ["cardgen: definition (test-small)"]

    edit(small, 'meaning: "A thinning of the bones', 'meaning: "A thinning of bones')
    (bones,) = [d for d in diff(small, out, clock=Clock(T0 + 60, T0 + 60), patterns=WITH_DEFINITION).decks if d.deck == "bones"]
    assert [c.key for c in bones.updated] == ["definition:osteoporosis-term"] and not bones.added
    shutil.copytree(out, tmp_path / "full")  # the edit built from the last build, and in full: the same files
    later = Clock(T0 + 60, T0 + 60)
    assert build(small, out, clock=later, patterns=WITH_DEFINITION).incremental
    build(small, tmp_path / "full", clock=later, cached=False, patterns=WITH_DEFINITION)
    assert files(out) == files(tmp_path / "full")

    edit(small, 'meaning: "A thinning of bones', 'meaning: "Osteoporosis: a thinning of bones')
    with pytest.raises(Exception, match="the meaning names the term"):  # the pattern's own check, at its line
        read_source(small, patterns=WITH_DEFINITION)

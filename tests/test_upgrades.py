"""A maintainer's year, imported step by step into one learner's real Anki collection.

After every build the collection's counts must match what `diff` predicted, exactly; no note
is ever duplicated, no "Name+" note type appears, and no review is lost.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Iterator, Sequence

import pytest
from anki.collection import Collection
from conftest import T0, build, build_at, edit, registry, run
from engine import import_package, open_collection, review, visible_text

from cardgen import identity, unpack
from cardgen.build import build as build_decks
from cardgen.build import diff
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import Field, Pattern
from cardgen.records import Fact, NoteSpec
from cardgen.upgrade import DeckDiff, SchemaChangeRefused

NEW_FACTS = """
  - id: bones-anchor
    pattern: concept
    topic: basics
    sources:
      - document: ms-bone
        quote: "anchor our muscles"
    prompt: "Bone health: besides protecting organs, what do bones anchor?"
    answer: "Our muscles"
  - id: prevention
    pattern: cloze
    topic: basics
    sources:
      - document: ms-bone
        quote: "Prevention is more effective than treatment of established osteoporosis"
    text: "[[Prevention]] is more effective than treatment of established osteoporosis."
"""


class Learner:
    """One collection, imported into after every build, with reviews in between."""

    def __init__(self, col: Collection, out: Path) -> None:
        self.col, self.out = col, out
        self.patterns = PATTERNS  # what the maintainer's cardgen defines: the built-in patterns, or a test's own
        self.reviews = 0
        self.answered = 0
        self.intervals: dict[int, int] = {}

    def predicted(self, source: Path) -> DeckDiff:
        (bones,) = [d for d in diff(source, self.out, patterns=self.patterns).decks if d.deck == "bones"]
        return bones

    def update(self, source: Path) -> DeckDiff:
        """Predict, build, import, and hold the collection to the prediction."""
        predicted = self.predicted(source)
        build_decks(source, self.out, patterns=self.patterns)
        log = import_package(self.col, self.out / "bones.apkg")
        assert dataclasses.asdict(log) == predicted.predicted()
        self.check()
        return predicted

    def study(self, cards: int) -> None:
        self.answered += len(review(self.col, "Test Bones", cards))
        self.check()

    def check(self) -> None:
        col = self.col
        assert col.db.scalar("select count() - count(distinct guid) from notes") == 0, "a duplicated note"
        names = [m["name"] for m in col.models.all()]
        assert not [n for n in names if n.endswith("+")], names
        reviews = col.db.scalar("select count() from revlog")
        assert reviews == self.answered, "a review was lost"
        self.reviews = reviews
        intervals = dict(col.db.all("select id, ivl from cards where ivl > 0"))
        assert all(intervals.get(card) == ivl for card, ivl in self.intervals.items()), "an interval was reset"
        self.intervals = intervals


@pytest.fixture
def learner(tmp_path: Path) -> Iterator[Learner]:
    col = open_collection(tmp_path / "anki")
    try:
        yield Learner(col, tmp_path / "decks")
    finally:
        col.close()


@dataclasses.dataclass(frozen=True)
class WithHint:
    """A concept pattern with one field more: a schema change."""

    base: Pattern = PATTERNS["concept"]

    def __getattr__(self, name: str) -> object:
        return getattr(self.base, name)

    @property
    def fields(self) -> tuple[Field, ...]:
        fields = self.base.fields
        return (*fields[:2], Field("hint", "Hint"), *fields[2:])

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for note in self.base.notes(facts):
            yield note._replace(fields=(*note.fields[:2], "", *note.fields[2:]))


def test_a_maintainers_year(small: Path, learner: Learner) -> None:
    col = learner.col

    # January: the first version.
    first = learner.update(small)
    assert (first.version_to, len(first.added)) == (1, 25)
    learner.study(12)

    # February: a fact's text is corrected.
    assert learner.predicted(small).version_to == 1  # nothing changed yet: no new version
    edit(small, "Use for more than 3-4 months", "Use for longer than 3-4 months")
    step = learner.update(small)
    assert step.version_to == 2 and [c.key for c in step.updated] == ["ms_factor:ms-glucocorticoids"]
    (change,) = step.updated[0].changes
    assert (change.field, change.new) == ("Explanation", "Use for longer than 3-4 months can result in weakened bones.")
    learner.study(5)

    # March: two facts are added.
    edit(small, "facts:\n", "facts:\n" + NEW_FACTS)
    step = learner.update(small)
    assert sorted(step.added) == ["cloze:prevention", "concept:bones-anchor"]
    learner.study(5)

    # April: a fact is removed. Its note is shipped once more, tagged and saying so.
    text = small.read_text()
    start = text.index("  - id: age\n")
    small.write_text(text[:start] + text[text.index("  - id: ms-glucocorticoids\n") :])
    step = learner.update(small)
    assert step.retired == ["risk_factor:age"]
    (age,) = col.find_notes("tag:test-bones::retired")
    note = col.get_note(age)
    assert "Retired on" in visible_text(note.cards()[0].answer()) and note["Factor"] == "Age"
    description = col.decks.get(col.decks.id_for_name("Test Bones"))["desc"]
    assert "tag:test-bones::retired" in description and "Version 4" in description
    step = learner.update(small)  # shipped once: the next build leaves it out, the lock keeps it
    assert not step.changed and step.version_to == 4
    assert "risk_factor:age" in (learner.out / "cardgen.lock.json").read_text().split('"retired"')[1]
    assert col.find_notes("tag:test-bones::retired") == [age]
    learner.study(5)

    # May: the cards are restyled.
    restyle = PATTERNS.css + "\n.prompt { letter-spacing: 0.01em; }\n"
    learner.patterns = registry(css=restyle)
    step = learner.update(small)
    assert [(t.name, t.kind) for t in step.types][:1] == [("cardgen: cloze (test-small)", "in place")]
    assert all("restyled (CSS)" in t.detail for t in step.types)
    assert "letter-spacing" in col.models.by_name("cardgen: concept (test-small)")["css"]

    # June: a field is renamed; its id stays, so the rename reaches the learner in place.
    concept = PATTERNS["concept"]
    renamed = dataclasses.replace(
        concept, fields=(dataclasses.replace(concept.fields[1], name="Reply") if f.key == "answer" else f for f in concept.fields)
    )
    renamed = dataclasses.replace(
        renamed,
        fields=tuple(renamed.fields),
        templates=tuple(dataclasses.replace(t, back=t.back.replace("{{Answer}}", "{{Reply}}")) for t in concept.templates),
    )
    learner.patterns = registry(renamed, css=restyle)
    step = learner.update(small)
    assert [t.detail for t in step.types] == ["fields renamed, card templates changed; updated in place, reviews kept"]
    assert [f["name"] for f in col.models.by_name("cardgen: concept (test-small)")["flds"]][:2] == ["Prompt", "Reply"]
    learner.study(5)

    # July: a field is added. Undeclared, the build is refused and nothing is written.
    learner.patterns = registry(WithHint(renamed), css=restyle)
    before = {p.name: p.read_bytes() for p in learner.out.iterdir()}
    with pytest.raises(SchemaChangeRefused) as refused:
        build_decks(small, learner.out, patterns=learner.patterns)
    assert "changed schema (1 field added)" in str(refused.value) and "'Name+'" in str(refused.value)
    assert {p.name: p.read_bytes() for p in learner.out.iterdir()} == before

    # Declared, the new version is a note type of its own; old notes keep their reviews.
    edit(small, "facts:\n", 'note_types:\n  concept: {version: 2, migration: "a Hint field"}\nfacts:\n')
    step = learner.update(small)
    assert sorted(step.conflicting) == ["concept:bones-anchor", "concept:bones-protect"]
    assert [(t.name, t.kind) for t in step.types] == [("cardgen: concept (test-small, v2)", "new version")]
    assert "Change Note Type" in step.types[0].detail
    assert col.models.by_name("cardgen: concept (test-small, v2)") is not None
    assert (
        "cardgen: concept (test-small, v2): a new version of 'cardgen: concept (test-small)': a Hint field"
        in (learner.out / "CHANGELOG.md").read_text()
    )

    # The learner follows the migration note: change the note type, import with "Always".
    old_type, new_type = col.models.by_name("cardgen: concept (test-small)"), col.models.by_name("cardgen: concept (test-small, v2)")
    request = col.models.change_notetype_info(old_notetype_id=old_type["id"], new_notetype_id=new_type["id"]).input
    request.note_ids.extend(col.models.nids(old_type["id"]))
    col.models.change_notetype_of_notes(request)
    log = import_package(col, learner.out / "bones.apkg", always=True)
    assert log.new == log.conflicting == 0
    learner.check()
    assert col.models.nids(old_type["id"]) == []
    assert len(col.models.nids(new_type["id"])) == 2
    learner.study(5)

    # August: the moved notes update like any other again.
    time.sleep(1.1)  # the learner's Change Note Type stamped the notes with this second
    edit(small, "Our vital organs", "Our vital organs and brain")
    step = learner.update(small)
    assert [c.key for c in step.updated] == ["concept:bones-protect"] and not step.conflicting
    assert col.get_note(col.find_notes('"Prompt:Bone health: what do bones protect?"')[0])["Reply"] == "Our vital organs and brain"
    assert learner.reviews == learner.answered > 30

    # The whole year stands in the deck's changelog, one version per change, newest first.
    changelog = (learner.out / "CHANGELOG.md").read_text()
    bones = changelog.split("## Test Bones", 1)[1].split("\n## ", 1)[0]
    headings = [line.split(",")[0] for line in bones.splitlines() if line.startswith("### Version")]
    assert headings == [f"### Version {n}" for n in range(8, 0, -1)]


def test_a_retired_fact_that_comes_back_gets_its_old_note(small: Path, learner: Learner) -> None:
    learner.update(small)
    learner.study(20)
    text = small.read_text()
    start, end = text.index("  - id: age\n"), text.index("  - id: ms-glucocorticoids\n")
    small.write_text(text[:start] + text[end:])
    learner.update(small)
    small.write_text(text)
    step = learner.update(small)
    assert step.updated and step.updated[0].key == "risk_factor:age" and not step.added
    (age,) = learner.col.find_notes('"Factor:Age"')
    assert "retired" not in " ".join(learner.col.get_note(age).tags)


def test_a_new_version_without_a_schema_change_is_refused(small: Path, learner: Learner) -> None:
    learner.update(small)
    before = {p.name: p.read_bytes() for p in learner.out.iterdir()}
    edit(small, "facts:\n", 'note_types:\n  concept: {version: 2, migration: "nothing"}\nfacts:\n')
    refused = run("build", "--source", small, "--out", learner.out)
    assert refused.exit_code == 1
    assert "declares version 2, but its fields and card types are as in version 1" in refused.output
    assert {p.name: p.read_bytes() for p in learner.out.iterdir()} == before


def test_a_note_type_no_fact_uses_keeps_its_schema_for_when_one_comes_back(small: Path, tmp_path: Path) -> None:
    """Learners keep an unused note type: a fact that returns on a changed schema is refused,
    instead of forking 'cardgen: concept+'."""
    out = tmp_path / "decks"
    build(small, out)
    text = small.read_text()
    head, *facts = text.split("\n  - id: ")
    small.write_text("\n  - id: ".join([head, *(f for f in facts if "pattern: concept\n" not in f)]) + "\n")
    build(small, out)
    assert "concept" in json.loads((out / "cardgen.lock.json").read_text())["note_types"]

    small.write_text(text)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(SchemaChangeRefused) as refused:
        build_decks(small, out, patterns=registry(WithHint()))
    assert "changed schema (1 field added)" in str(refused.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_renaming_a_deck_or_topic_touches_no_note_and_keeps_learners_edits(small: Path, learner: Learner) -> None:
    """A rename changes what new learners see; a learner's own edit survives it, and the
    diff says that their cards stay where they are."""
    learner.update(small)
    learner.study(10)
    col = learner.col
    (note_id,) = col.find_notes('"Prompt:Bone health: what do bones protect?"')
    mine = col.get_note(note_id)
    mine["Answer"] = "Our vital organs (my own words)"
    time.sleep(1.1)  # the learner's edit is stamped after the build's mod, as in real use
    col.update_note(mine)
    decks_before = {c: col.get_card(c).did for c in col.find_cards("")}

    edit(small, 'name: "Test Bones"', 'name: "Test Bones Renamed"')
    edit(small, 'name: "Basics"', 'name: "Basics of bone"')
    shown = run("diff", "--source", small, "--out", learner.out)
    assert "learners who have them keep those cards in 'Test Bones::Basics' (Anki never moves cards on import)" in shown.output
    assert "    14 notes now in 'Test Bones Renamed::Basics of bone', were in 'Test Bones::Basics': " in shown.output
    step = learner.update(small)
    assert (step.updated, step.added) == ([], [])
    assert step.regrouped == {
        ("Test Bones::Basics", "Test Bones Renamed::Basics of bone"): 14,
        ("Test Bones::Foods", "Test Bones Renamed::Foods"): 11,
    }
    assert col.get_note(note_id)["Answer"] == "Our vital organs (my own words)"
    assert {c: col.get_card(c).did for c in decks_before} == decks_before


def test_a_retired_note_ships_in_the_version_that_retires_it_and_a_rebuild_is_the_same_bytes(small: Path, tmp_path: Path) -> None:
    """v2 retires a fact and ships it tagged; v3 (another change) leaves it out; rebuilding
    each version from its own lock gives the same package, so `build --check` holds."""
    out = tmp_path / "decks"
    build_at(small, out, T0)
    text = small.read_text()
    start, end = text.index("  - id: age\n"), text.index("  - id: ms-glucocorticoids\n")
    small.write_text(text[:start] + text[end:])
    build_at(small, out, T0 + 10)
    guid = identity.note_guid("risk_factor", "age", "test-small")
    v2 = (out / "bones.apkg").read_bytes()
    assert guid in {n[0] for n in unpack.contents(v2)["notes"]}
    build_at(small, out, T0 + 20)  # v2 again, from v2's lock
    assert (out / "bones.apkg").read_bytes() == v2

    edit(small, "Our vital organs", "Our vital organs!")
    build_at(small, out, T0 + 30)
    v3 = (out / "bones.apkg").read_bytes()
    assert guid not in {n[0] for n in unpack.contents(v3)["notes"]}
    build_at(small, out, T0 + 40)  # v3 again, from v3's lock
    assert (out / "bones.apkg").read_bytes() == v3

"""What maintainers and learners read of an upgrade: the committed CHANGELOG.md and the lines
`cardgen build` and `cardgen diff` print, word for word where a word carries a count."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator, Sequence

import pytest
from anki.collection import Collection
from conftest import T0, build_at, edit, registry, run
from engine import import_package, render_problems, visible_text
from test_upgrades import NEW_FACTS

from cardgen.build import build
from cardgen.identity import Clock
from cardgen.patterns import PATTERNS, Registry
from cardgen.patterns.base import Field, Template, back
from cardgen.records import Fact, NoteSpec
from cardgen.upgrade import SchemaChangeRefused, type_change

CONCEPT = PATTERNS["concept"]
PROMPT, ANSWER, EXTRA, SOURCE = CONCEPT.fields
HINT, MNEMONIC = Field("hint", "Hint"), Field("mnemonic", "Mnemonic")
CARD = CONCEPT.templates[0]
REVERSE = Template("reverse", "Reverse", '<div class="prompt">{{Answer}}</div>', back("{{Prompt}}"))
EXAMPLE = Template("example", "Example", '<div class="prompt">{{Prompt}} (an example)</div>', back("{{Answer}}"))


@dataclasses.dataclass(frozen=True)
class Reshaped:
    """The concept pattern with other fields or card types, each note's fields found by key
    ("" for a new one): a schema change when it differs from the one the lock has."""

    fields: tuple[Field, ...] = CONCEPT.fields
    templates: tuple[Template, ...] = CONCEPT.templates

    def __getattr__(self, name: str) -> object:
        return getattr(CONCEPT, name)

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        keys = [f.key for f in CONCEPT.fields]
        for note in CONCEPT.notes(facts):
            by_key = dict(zip(keys, note.fields, strict=True))
            yield note._replace(fields=tuple(by_key.get(f.key, "") for f in self.fields))


def _build(source: Path, out: Path, patterns: Registry, now: int = T0) -> None:
    build(source, out, clock=Clock(now=now, real=now), cached=False, patterns=patterns)


def _refused(source: Path, out: Path, patterns: Registry) -> str:
    """The refusal of a build with `patterns`, after checking that it wrote nothing."""
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(SchemaChangeRefused) as refused:
        _build(source, out, patterns, T0 + 86_400)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    return str(refused.value)


def _refusal(source: Path, says: str, version: int = 2, name: str = "cardgen: concept (test-small)") -> str:
    return (
        f"note type '{name}' changed schema ({says}). Under Anki's default import options every learner "
        f"would get a second note type ('Name+') whose notes never update. Declare it in {source}: note_types: "
        f"{{concept: {{version: {version}, migration: \"what changed\"}}}}, or keep the fields' and card types' keys as they were\n"
        "nothing was written"
    )


@pytest.mark.parametrize(
    ("before", "after", "says"),
    [
        pytest.param(Reshaped(), Reshaped(fields=(PROMPT, ANSWER, HINT, EXTRA, SOURCE)), "1 field added", id="a field added"),
        pytest.param(Reshaped(), Reshaped(fields=(PROMPT, ANSWER, HINT, MNEMONIC, EXTRA, SOURCE)), "2 fields added", id="two added"),
        pytest.param(Reshaped(), Reshaped(fields=(PROMPT, ANSWER, SOURCE)), "1 field removed", id="a field removed"),
        pytest.param(Reshaped(), Reshaped(fields=(PROMPT, ANSWER)), "2 fields removed", id="two removed"),
        pytest.param(Reshaped(), Reshaped(fields=(ANSWER, PROMPT, EXTRA, SOURCE)), "fields reordered", id="fields reordered"),
        pytest.param(
            Reshaped(),
            Reshaped(fields=(PROMPT, Field("reply", "Answer"), EXTRA, SOURCE)),
            "1 field added, 1 field removed",
            id="a field's key renamed",
        ),
        pytest.param(Reshaped(), Reshaped(templates=(CARD, REVERSE)), "1 card type added", id="a card type added"),
        pytest.param(Reshaped(), Reshaped(templates=(CARD, REVERSE, EXAMPLE)), "2 card types added", id="two card types added"),
        pytest.param(Reshaped(templates=(CARD, REVERSE)), Reshaped(), "1 card type removed", id="a card type removed"),
        pytest.param(Reshaped(templates=(CARD, REVERSE, EXAMPLE)), Reshaped(), "2 card types removed", id="two card types removed"),
        pytest.param(Reshaped(templates=(CARD, REVERSE)), Reshaped(templates=(REVERSE, CARD)), "card types reordered", id="reordered"),
        pytest.param(
            Reshaped(),
            Reshaped(fields=(PROMPT, ANSWER, HINT, EXTRA, SOURCE), templates=(CARD, REVERSE)),
            "1 field added, 1 card type added",
            id="a field and a card type added",
        ),
    ],
)
def test_a_schema_change_is_refused_saying_what_changed_and_the_version_to_declare(
    before: Reshaped, after: Reshaped, says: str, small: Path, tmp_path: Path
) -> None:
    out = tmp_path / "decks"
    _build(small, out, registry(before))
    assert _refused(small, out, registry(after)) == _refusal(small, says)


def test_a_second_schema_change_asks_for_the_version_after_the_published_one(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    _build(small, out, registry(Reshaped()))
    edit(small, "facts:\n", 'note_types:\n  concept: {version: 2, migration: "a Hint field"}\nfacts:\n')
    _build(small, out, registry(Reshaped(fields=(PROMPT, ANSWER, HINT, EXTRA, SOURCE))), T0 + 3_600)
    refused = _refused(small, out, registry(Reshaped(fields=(PROMPT, ANSWER, HINT, MNEMONIC, EXTRA, SOURCE))))
    assert refused == _refusal(small, "1 field added", 3, "cardgen: concept (test-small, v2)")


def test_a_schema_change_is_refused_when_a_note_type_new_to_the_lock_comes_before_it(small: Path, tmp_path: Path) -> None:
    """The cloze facts are added in the build that changes concept's schema: cloze, new to
    the lock, is checked first and must not end the check."""
    out = tmp_path / "decks"
    text = small.read_text()
    facts = text.split("\n  - id: ")
    small.write_text("\n  - id: ".join(f for f in facts if "    pattern: cloze\n" not in f) + "\n")
    _build(small, out, registry(Reshaped()))
    small.write_text(text)
    assert _refused(small, out, registry(Reshaped(fields=(PROMPT, ANSWER, HINT, EXTRA, SOURCE)))) == _refusal(small, "1 field added")


def test_a_declared_version_below_the_published_one_is_refused(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    hinted = registry(Reshaped(fields=(PROMPT, ANSWER, HINT, EXTRA, SOURCE)))
    _build(small, out, registry(Reshaped()))
    edit(small, "facts:\n", 'note_types:\n  concept: {version: 2, migration: "a Hint field"}\nfacts:\n')
    _build(small, out, hinted, T0 + 3_600)
    edit(small, "{version: 2,", "{version: 1,")
    assert _refused(small, out, hinted) == (
        "note type 'cardgen: concept (test-small)': note_types.concept.version is 1, but version 2 was already published; "
        "versions only go up\nnothing was written"
    )


# Concept without an Extra field, as a note type of another tool's making may be: the back shows every field it has.
NO_EXTRA = Reshaped(
    fields=(PROMPT, ANSWER, SOURCE),
    templates=(
        dataclasses.replace(
            CARD, back='{{FrontSide}}<hr id=answer><div class="answer">{{Answer}}</div><div class="source">{{Source}}</div>'
        ),
    ),
)


def test_a_retired_note_of_a_note_type_without_extra_says_so_at_the_end_of_its_last_field(
    small: Path, tmp_path: Path, col: Collection
) -> None:
    out = tmp_path / "decks"
    _build(small, out, registry(NO_EXTRA))
    import_package(col, out / "bones.apkg")
    (note_id,) = col.find_notes('"Prompt:Bone health: what do bones protect?"')
    before = col.get_note(note_id).fields
    text = small.read_text()
    small.write_text(text[: text.index("  - id: bones-protect\n")] + text[text.index("  - id: osteoporosis-definition\n") :])
    _build(small, out, registry(NO_EXTRA), T0 + 86_400)
    assert import_package(col, out / "bones.apkg").updated == 1
    note = col.get_note(note_id)
    assert note.fields == [
        *before[:-1],
        before[-1] + '<div class="retired"><b>Retired on 2026-01-02</b>: this fact is no longer in the deck. To delete it: Browse, '
        "search <code>tag:test-bones::retired</code>, select all, Notes &gt; Delete.</div>",
    ]
    assert visible_text(note.cards()[0].answer()).endswith(
        "Retired on 2026-01-02: this fact is no longer in the deck. To delete it: Browse, search tag:test-bones::retired, "
        "select all, Notes > Delete."
    )
    assert render_problems(col) == []


def _year_edits(small: Path) -> None:
    """A version's worth of edits: a note updated (two of its fields), two added, one retired,
    and the B12 deck's topic renamed."""
    edit(small, "Our vital organs", "Our vital organs and brain")
    edit(small, 'prompt: "Bone health: what do bones protect?"', 'prompt: "Bone health: what do our bones protect?"')
    edit(small, "facts:\n", "facts:\n" + NEW_FACTS)
    text = small.read_text()
    start, end = text.index("  - id: age\n"), text.index("  - id: ms-glucocorticoids\n")
    small.write_text(text[:start] + text[end:])
    edit(small, 'name: "B12"', 'name: "Vitamin B12"')


def test_the_changelog_is_markdown_with_each_decks_versions_newest_first_and_only_what_changed(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    _build(small, out, registry(Reshaped()))
    _year_edits(small)
    _build(small, out, registry(Reshaped()), T0 + 86_400)
    asked = dataclasses.replace(CARD, front=CARD.front.replace("{{Prompt}}", "Q: {{Prompt}}"))
    _build(small, out, registry(Reshaped(templates=(asked,))), T0 + 2 * 86_400)
    edit(small, "facts:\n", 'note_types:\n  concept: {version: 2, migration: "a Hint field"}\nfacts:\n')
    _build(small, out, registry(Reshaped(fields=(PROMPT, ANSWER, HINT, EXTRA, SOURCE), templates=(asked,))), T0 + 3 * 86_400)
    moved = (
        "- cardgen: concept (test-small, v2): a new version of 'cardgen: concept (test-small)': a Hint field. Your notes of "
        "'cardgen: concept (test-small)' keep their reviews but no longer update. To move them: import this deck, then in Browse "
        "search note:\"cardgen: concept (test-small)\", select all, Notes > Change Note Type > 'cardgen: concept (test-small, v2)', "
        "and import the deck again with 'Update notes: Always'\n"
    )
    restyled = "- cardgen: concept (test-small): card templates changed; updated in place, reviews kept\n"
    assert (out / "CHANGELOG.md").read_text() == (
        "# Changelog\n"
        "\n"
        "Written by `cardgen build` from `cardgen.lock.json`; do not edit by hand.\n"
        "\n"
        "## Test Bones (`bones.apkg`)\n"
        "\n"
        "### Version 4, 2026-01-04\n"
        "\n"
        "- notes: 2 moved to a new note type\n" + moved + "\n"
        "### Version 3, 2026-01-03\n"
        "\n"
        "- notes unchanged\n" + restyled + "\n"
        "### Version 2, 2026-01-02\n"
        "\n"
        "- notes: 2 added, 1 updated, 1 retired\n"
        "\n"
        "### Version 1, 2026-01-01\n"
        "\n"
        "- notes: 25 added\n"
        "\n"
        "## Test B12 (`b12.apkg`)\n"
        "\n"
        "### Version 4, 2026-01-04\n"
        "\n"
        "- notes: 1 moved to a new note type\n" + moved + "\n"
        "### Version 3, 2026-01-03\n"
        "\n"
        "- notes unchanged\n" + restyled + "\n"
        "### Version 2, 2026-01-02\n"
        "\n"
        "- notes unchanged\n"
        "\n"
        "### Version 1, 2026-01-01\n"
        "\n"
        "- notes: 2 added\n"
    )


def test_diff_names_every_note_and_field_an_import_changes_and_build_gives_the_counts(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    first = run("build", "--source", small, "--out", out)
    assert first.exit_code == 0, first.output
    assert "  bones.apkg: Test Bones v1: 25 notes, 43 cards\n    first version: 25 notes\n" in first.output
    assert "  b12.apkg: Test B12 v1: 2 notes, 2 cards\n    first version: 2 notes\n" in first.output
    _year_edits(small)
    regrouped = (
        "    2 notes now in 'Test B12::Vitamin B12', were in 'Test B12::B12': learners who have them keep those cards in "
        "'Test B12::B12' (Anki never moves cards on import), and new learners get them in 'Test B12::Vitamin B12'; "
        "no note is updated for it\n"
    )
    shown = run("diff", "--source", small, "--out", out)
    assert shown.exit_code == 0, shown.output
    assert shown.output == (
        "  bones.apkg: Test Bones v2: 27 notes, 45 cards\n"
        "    since v1: 2 added, 1 updated, 23 unchanged, 1 retired, 0 to a new note type\n"
        "    + concept:bones-anchor\n"
        "    + cloze:prevention\n"
        "    ~ concept:bones-protect\n"
        "        Prompt: 'Bone health: what do bones protect?' -> 'Bone health: what do our bones protect?'\n"
        "        Answer: 'Our vital organs' -> 'Our vital organs and brain'\n"
        "    - risk_factor:age (shipped once more, tagged retired)\n"
        "    a learner's import (default options): new 2, updated 2 (1 of them retired notes), unchanged 23, conflicting 0\n"
        "  b12.apkg: Test B12 v2: 2 notes, 2 cards\n"
        "    since v1: 0 added, 0 updated, 2 unchanged, 0 retired, 0 to a new note type\n"
        + regrouped
        + "    a learner's import (default options): new 0, updated 0, unchanged 2, conflicting 0\n"
    )
    built = run("build", "--source", small, "--out", out)
    assert built.exit_code == 0, built.output
    assert built.output == (
        "2 decks, 8 note types, 29 notes, 47 cards\n"
        "  bones.apkg: Test Bones v2: 27 notes, 45 cards\n"
        "    since v1: 2 added, 1 updated, 23 unchanged, 1 retired, 0 to a new note type\n"
        "  b12.apkg: Test B12 v2: 2 notes, 2 cards\n"
        "    since v1: 0 added, 0 updated, 2 unchanged, 0 retired, 0 to a new note type\n"
        + regrouped
        + f"wrote to {out}/: CHANGELOG.md, b12.apkg, bones.apkg, cardgen.lock.json\n"
    )


B12_FACT = """
  - id: b12-homocysteine
    pattern: concept
    topic: b12-topic
    sources:
      - document: b12
        quote: "B12 helps metabolize homocysteine"
    prompt: "B12 and bone: what does B12 help metabolize?"
    answer: "Homocysteine"
"""


def test_a_new_decks_first_version_says_how_many_of_its_notes_learners_already_have(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    edit(small, "  - id: b12\n", "  - id: vitamin-b12\n")
    small.write_text(small.read_text() + B12_FACT)
    built = run("build", "--source", small, "--out", out)
    assert built.exit_code == 0, built.output
    assert (
        "  vitamin-b12.apkg: Test B12 v1: 3 notes, 3 cards\n"
        "    first version: 3 notes, 2 of them shipped before in another package (learners' notes update in place)\n"
    ) in built.output


def _content(
    name: str = "cardgen: concept",
    css: str = ".card {}",
    fields: tuple[str, ...] = ("Prompt", "Answer"),
    templates: tuple[tuple[str, str, str], ...] = (("Card 1", "{{Prompt}}", "{{Answer}}"),),
) -> dict[str, object]:
    """A note type's contents as package.model_content gives them: names, ids, templates."""
    return {
        "name": name,
        "type": 0,
        "css": css,
        "fields": [[f, n] for n, f in enumerate(fields)],
        "templates": [[t, n, q, a] for n, (t, q, a) in enumerate(templates)],
    }


@pytest.mark.parametrize(
    ("new", "says"),
    [
        (_content(), "updated in place"),
        (_content(name="cardgen: idea"), "renamed 'cardgen: concept' -> 'cardgen: idea'; updated in place, reviews kept"),
        (_content(css=".card { color: red }"), "restyled (CSS); updated in place, reviews kept"),
        (_content(fields=("Question", "Answer")), "fields renamed; updated in place, reviews kept"),
        (_content(templates=(("Forward", "{{Prompt}}", "{{Answer}}"),)), "card types renamed; updated in place, reviews kept"),
        (_content(templates=(("Card 1", "{{Prompt}}?", "{{Answer}}"),)), "card templates changed; updated in place, reviews kept"),
        (
            _content(name="x", css="", fields=("A", "B"), templates=(("T", "q", "a"),)),
            "renamed 'cardgen: concept' -> 'x', restyled (CSS), fields renamed, card types renamed, card templates changed; "
            "updated in place, reviews kept",
        ),
    ],
)
def test_a_note_type_changed_in_place_says_what_a_learner_sees_change(new: dict[str, object], says: str) -> None:
    assert type_change(_content(), new) == says


def test_a_note_type_no_package_shows_is_said_to_change_in_place() -> None:
    assert type_change(None, _content()) == "changed in place"

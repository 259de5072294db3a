"""Edits that replace notes while looking small, imported into a learner's real collection.

A fact given a new id or a new pattern, a deck taken out of the source or given a new id:
each is named in the build output and the diff with what learners keep, and a deck the
source no longer has ships one last version of its package instead of lingering unchecked.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from anki.collection import Collection
from conftest import T0, build_at, edit, run
from engine import import_package, review

from cardgen.build import build, diff
from cardgen.identity import Clock
from cardgen.upgrade import DeckDiff

B12_DECK = """  - id: b12
    name: "Test B12"
    tag: test-b12
    description: "A second test deck."
    topics:
      - id: b12-topic
        name: "B12"
"""


def without_the_b12_deck(source: Path) -> None:
    """The deck and both of its facts taken out of the source."""
    edit(source, B12_DECK, "")
    text = source.read_text()
    source.write_text(text[: text.index("  - id: b12-usda")])


def deck_diff(source: Path, out: Path, deck: str, now: int) -> DeckDiff:
    (found,) = [d for d in diff(source, out, clock=Clock(now=now, real=now)).decks if d.deck == deck]
    return found


def test_a_removed_deck_ships_a_last_version_with_its_notes_retired_and_no_review_is_lost(
    small: Path, tmp_path: Path, col: Collection
) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    import_package(col, out / "b12.apkg")
    answered = len(review(col, "Test B12", 2))
    assert answered == 2

    without_the_b12_deck(small)
    stale = build(small, out, check=True, cached=False).stale
    assert any(s.startswith(f"{out / 'b12.apkg'}:") for s in stale), stale  # not "up to date" while it lingers

    predicted = deck_diff(small, out, "b12", T0 + 60)
    assert predicted.removed and sorted(predicted.retired) == ["cloze:b12-osteoblasts", "concept:b12-usda"]
    said = run("diff", "--source", small, "--out", out).output
    assert "deck 'b12' is no longer in the source" in said and "tagged retired" in said, said
    assert "  bones.apkg: Test Bones v1: " in said and "  b12.apkg: Test B12 v2: 2 notes" in said, said  # every deck, the removed one too
    build_at(small, out, T0 + 60)
    assert (
        dataclasses.asdict(import_package(col, out / "b12.apkg"))
        == predicted.predicted()
        == {
            "new": 0,
            "updated": 2,
            "duplicate": 0,
            "conflicting": 0,
        }
    )
    assert col.db.scalar("select count() from revlog") == answered
    tags = col.db.list("select tags from notes")
    assert len(tags) == 2 and all("test-b12::retired" in t for t in tags), tags
    for note in (col.get_note(n) for n in col.find_notes("")):  # the back says so, in Extra, above the sources
        assert note["Extra"].startswith('<div class="retired"><b>Retired on 2026-01-01</b>: this fact is no longer in the deck.'), note[
            "Extra"
        ]
        assert "Retired on" not in note["Source"]
    assert "deck no longer in the source" in (out / "CHANGELOG.md").read_text()

    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".apkg"}
    assert not build(small, out, check=True, cached=False).stale
    build_at(small, out, T0 + 120)  # a rebuild of the last version: the same bytes, no new version
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".apkg"} == before
    assert deck_diff(small, out, "b12", T0 + 180).version_to == 2

    # Answered from the last build's record, a build says of every deck what a real build says.
    from cardgen.upgrade import report

    cached = build(small, out)
    assert cached.up_to_date
    assert report(cached.decks) == report(build(small, out, cached=False).decks)
    assert "deck 'b12' is no longer in the source" in report(cached.decks), report(cached.decks)


def test_a_deck_with_a_new_id_keeps_learners_notes_and_its_old_package_goes(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    import_package(col, out / "b12.apkg")
    review(col, "Test B12", 2)

    edit(small, "  - id: b12\n", "  - id: vitamin-b12\n")
    assert any("a build removes it" in s for s in build(small, out, check=True, cached=False).stale)
    old = deck_diff(small, out, "b12", T0 + 60)
    assert old.removed and old.moved_out == {"vitamin-b12.apkg": 2} and not old.retired
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 0, result.output
    assert "2 of its notes now ship in vitamin-b12.apkg" in result.output
    assert "first version: 2 notes, 2 of them shipped before in another package (learners' notes update in place)" in result.output
    assert "the build removes b12.apkg" in result.output, result.output
    assert not (out / "b12.apkg").exists() and (out / "vitamin-b12.apkg").exists()

    log = import_package(col, out / "vitamin-b12.apkg")
    assert (log.new, log.duplicate, log.conflicting) == (0, 2, 0)
    assert col.db.scalar("select count() from notes") == 2
    assert col.db.scalar("select count() from revlog") == 2
    assert not build(small, out, check=True, cached=False).stale
    assert "b12.apkg" not in {d.file for d in build(small, out, cached=False).decks}


def test_a_fact_with_a_new_id_or_a_new_pattern_is_named_with_what_learners_keep(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    edit(small, "- id: bones-protect\n", "- id: bones-protect-organs\n")
    edit(small, "    pattern: cloze\n    topic: b12-topic", "    pattern: concept\n    topic: b12-topic")
    edit(
        small,
        'text: "B12 is important for the function of [[osteoblasts]], the cells responsible for building new bone."',
        'prompt: "B12 and bone: which cells need B12 to work?"\n    answer: "Osteoblasts"',
    )

    for command in ("diff", "build"):
        said = run(command, "--source", small, "--out", out).output
        assert "fact 'bones-protect-organs' asks what retired fact 'bones-protect' asked" in said, said
        assert "put back id: bones-protect" in said
        assert "fact 'b12-osteoblasts' changed pattern (cloze -> concept)" in said, said
        assert "keep the old one, retired, with their reviews" in said


def test_a_removed_deck_whose_package_is_gone_is_said_to_have_notes_learners_keep_untagged(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    (out / "b12.apkg").unlink()
    without_the_b12_deck(small)
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 0, result.output
    assert "note: 2 notes the source no longer has are in no package of the out folder" in result.output
    assert '"cloze:b12-osteoblasts"' in (out / "cardgen.lock.json").read_text().split('"retired"')[1]


def test_a_deck_removed_after_the_version_that_retired_a_note_leaves_no_package(small: Path, tmp_path: Path) -> None:
    """The deck's last version ships a note it retired. When the deck then goes, the build
    makes its files a second time, leaving that note out of a new version, and finds nothing
    left to ship in the deck: its package from the first time must not come back."""
    out = tmp_path / "decks"
    build_at(small, out, T0)
    text = small.read_text()
    small.write_text(text[: text.index("  - id: b12-osteoblasts")])
    build_at(small, out, T0 + 100)
    assert (out / "b12.apkg").exists()
    edit(small, B12_DECK, "")
    small.write_text(small.read_text().replace("topic: b12-topic", "topic: basics"))
    build_at(small, out, T0 + 200)
    assert not (out / "b12.apkg").exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["CHANGELOG.md", "bones.apkg", "cardgen.lock.json"]

"""What issue 2 promises learners, checked by importing into the real Anki engine."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from anki.collection import Collection
from conftest import ROOT, build, build_with, registry, run
from engine import import_package, render_problems, review, visible_text

from cardgen import identity
from cardgen.patterns import PATTERNS


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_every_card_renders_and_check_database_is_clean(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build(small, out)
    for apkg in sorted(out.glob("*.apkg")):
        assert import_package(col, apkg).new > 0
    assert col.card_count() == 45
    assert render_problems(col) == []
    message, ok = col.fix_integrity()
    assert ok, message
    assert message == col.tr.database_check_rebuilt()


def test_bundled_decks_render_and_check_database_is_clean(tmp_path: Path, col: Collection) -> None:
    """The committed packages themselves, as a learner downloads them."""
    packages = sorted((ROOT / "decks").glob("*.apkg"))
    assert packages
    for apkg in packages:
        assert import_package(col, apkg).new > 0
    assert render_problems(col) == []
    message, ok = col.fix_integrity()
    assert ok and message == col.tr.database_check_rebuilt(), message


def test_importing_the_same_package_twice_adds_nothing(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build(small, out)
    first = import_package(col, out / "bones.apkg")
    notes, cards = col.note_count(), col.card_count()
    second = import_package(col, out / "bones.apkg")
    assert (second.new, second.updated, second.duplicate) == (0, 0, first.new)
    assert (col.note_count(), col.card_count()) == (notes, cards)


def test_edit_and_rebuild_updates_one_note_and_keeps_reviews_and_learner_edits(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    reviewed = review(col, "Test Bones", 10)
    assert len(reviewed) == 10
    revlog_before = col.db.scalar("select count() from revlog")
    # The learner rewrites the answer of one note in their own words.
    (own_id,) = col.find_notes('"Answer:Our vital organs"')
    own = col.get_note(own_id)
    own["Answer"] = "vital organs (my words)"
    col.update_note(own)
    intervals = dict(col.db.all("select id, ivl from cards"))

    # The maintainer corrects a different fact's text and rebuilds.
    replace_text(small, "Use for more than 3-4 months", "Use for longer than 3-4 months")
    result = build(small, out)
    assert "since v1: 0 added, 1 updated, 24 unchanged, 0 retired" in result.output

    log = import_package(col, out / "bones.apkg")
    assert (log.new, log.updated, log.conflicting) == (0, 1, 0)
    (changed,) = col.find_notes('"Explanation:Use for longer than 3-4 months*"')
    assert col.get_note(changed)["Explanation"].startswith("Use for longer")
    assert col.get_note(own_id)["Answer"] == "vital organs (my words)"
    assert col.db.scalar("select count() from revlog") == revlog_before
    assert dict(col.db.all("select id, ivl from cards")) == intervals
    assert col.note_count() == 25


def _build_in_subprocess(source: Path, out: Path, **env: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("TZ", "SOURCE_DATE_EPOCH")}
    environment.update(env)
    subprocess.run(
        [sys.executable, "-m", "cardgen", "build", "--source", str(source), "--out", str(out)],
        env=environment,
        check=True,
        capture_output=True,
    )


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_two_builds_of_one_source_are_byte_identical_in_any_time_zone(small: Path, tmp_path: Path) -> None:
    # From scratch: the same SOURCE_DATE_EPOCH gives the same bytes whatever TZ says.
    _build_in_subprocess(small, tmp_path / "utc", TZ="UTC", SOURCE_DATE_EPOCH="1767225600")
    _build_in_subprocess(small, tmp_path / "kolkata", TZ="Asia/Kolkata", SOURCE_DATE_EPOCH="1767225600")
    assert _files(tmp_path / "utc") == _files(tmp_path / "kolkata")
    # Over a previous build: the lock fixes every id and mod, with the real clock. Without the
    # cache, so that the second build really builds instead of answering "up to date".
    before = _files(tmp_path / "utc")
    (tmp_path / "utc" / ".cardgen-build.json").unlink()
    _build_in_subprocess(small, tmp_path / "utc", TZ="America/Los_Angeles")
    assert _files(tmp_path / "utc") == before


def test_css_template_and_field_renames_reach_a_collection_in_place(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    types_before = sorted(m["id"] for m in col.models.all())
    cards_before = col.card_count()

    # A developer restyles every card and renames a card type and a field of one pattern.
    concept = PATTERNS["concept"]
    renamed = dataclasses.replace(
        concept,
        fields=(dataclasses.replace(concept.fields[0], name="Question"), *concept.fields[1:]),
        templates=tuple(
            dataclasses.replace(t, name="Recall", front=t.front.replace("{{Prompt}}", "{{Question}}")) for t in concept.templates
        ),
    )
    said = build_with(small, out, registry(renamed, css=PATTERNS.css + "\n.prompt { color: #123456; }\n"))
    assert "since v1: 0 added, 0 updated, 25 unchanged" in said  # the note types changed, no note did
    assert "note type 'cardgen: concept (test-small)': restyled (CSS), fields renamed, card types renamed, card templates changed" in said

    log = import_package(col, out / "bones.apkg")
    assert log.conflicting == 0 and log.new == 0
    assert sorted(m["id"] for m in col.models.all()) == types_before
    assert not [m["name"] for m in col.models.all() if m["name"].endswith("+")]
    concept_type = col.models.get(identity.model_id("concept", concept.model_id, 1, "test-small"))
    assert "#123456" in concept_type["css"]
    assert [f["name"] for f in concept_type["flds"]][0] == "Question"
    assert [t["name"] for t in concept_type["tmpls"]] == ["Recall"]
    assert col.card_count() == cards_before
    (note_id,) = col.find_notes('"Question:Bone health: what do bones protect?"')
    card = col.get_note(note_id).cards()[0]
    assert "what do bones protect" in visible_text(card.question())


def test_build_check_passes_on_fresh_output_and_fails_after_a_source_change(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build(small, out)
    before = _files(out)
    fresh = run("build", "--check", "--source", small, "--out", out)
    assert fresh.exit_code == 0, fresh.output
    assert "up to date" in fresh.output

    replace_text(small, "Our vital organs", "Our vital organs and brain")
    stale = run("build", "--check", "--source", small, "--out", out)
    assert stale.exit_code == 1
    assert "bones.apkg" in stale.output and "cardgen.lock.json" in stale.output
    assert "b12.apkg" not in stale.output
    assert _files(out) == before  # --check writes nothing


def test_cloze_cards_read_as_the_sentence_with_its_spaces(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    (note_id,) = col.find_notes('"note:cardgen: cloze (test-small)" osteoporosis')
    first, second = sorted(col.get_note(note_id).cards(), key=lambda c: c.ord)
    assert "Osteoporosis is a [...], with reduction in bone mass." in visible_text(first.question())
    assert "Osteoporosis is a thinning of the bones, with reduction in [...]." in visible_text(second.question())
    assert "with reduction in bone mass." in visible_text(second.answer())

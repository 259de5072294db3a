"""Evidence: every quote stands in its document, every sentence is accounted for, and the
back of every card shows its sources' words, checked in the real Anki engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from anki.collection import Collection
from conftest import FIXTURES, ROOT, build, run
from engine import import_package, review, visible_text

from cardgen.evidence import Text, normalise

MS_BONE = ROOT / "sources" / "ms-bone.txt"


@pytest.fixture(scope="module")
def ms_bone() -> Text:
    return Text.read("ms-bone", MS_BONE)


@pytest.mark.parametrize(
    "quote",
    [
        "Protein - provides the building blocks",  # an en dash, spaced otherwise
        "PROTEIN– PROVIDES THE BUILDING BLOCKS",  # case
        "Don't consume alcohol in excess",  # a straight apostrophe for a curly one
        "Osteoporosis is a thinning of the bones",  # the document has non-breaking double spaces
        "Osteoporosis is a thinning ... due to depletion of calcium",  # an ellipsis in one sentence
        "Research suggests … The more progressive the disease",  # and across sentences of one paragraph
    ],
)
def test_quotes_match_after_normalising(ms_bone: Text, quote: str) -> None:
    assert ms_bone.find(quote) is not None


@pytest.mark.parametrize(
    "quote",
    [
        "Protein provides the building blocks",  # a word's punctuation is not whitespace
        "due to depletion of calcium ... Osteoporosis is a thinning",  # parts out of order
        "Bone health is very important! ... There are some risk factors",  # parts in two paragraphs
        "Zinc is involved in enzyme reactions and collagen synthesis and more",  # words added
    ],
)
def test_quotes_that_are_not_verbatim_are_not_found(ms_bone: Text, quote: str) -> None:
    assert ms_bone.find(quote) is None


def test_a_quote_that_is_a_whole_paragraph_is_found_there_not_inside_an_earlier_one() -> None:
    b12 = Text.read("b12", ROOT / "sources" / "b12.txt")
    found = b12.find("Eggs")  # "eggs" stands in the comparison table (line 59) before the list item
    assert found is not None and found.line == 103
    assert [s.text for s in b12.touched(found)] == ["Eggs"]
    found = b12.find("fortified cereals")
    assert found is not None and found.line == 59


def test_normalising_folds_quote_marks_dashes_space_and_case() -> None:
    assert normalise("  “Bone”\u00a0 bank — ‘deposits’ ") == "'bone' bank-'deposits'"


def test_a_missed_quote_names_the_closest_sentence(ms_bone: Text) -> None:
    near = ms_bone.closest("Zinc is involved in enzyme reactions and collagen synthesis.")
    assert (near.line, near.text) == (69, "Zinc– is involved in enzyme reactions and collagen synthesis.")


DOC = """Title Of The Document

Calcium builds bone. Vitamin D helps absorb calcium.

  • Kale is rich in calcium
  • 5 min read
"""


def tiny(tmp_path: Path, skips: str) -> Path:
    """A one-fact source over a four-sentence document."""
    (tmp_path / "doc.txt").write_text(DOC)
    text = (FIXTURES / "small.yaml").read_text().split("facts:\n")[0]
    text = text.replace('file: "sources/ms-bone.txt"', 'file: "doc.txt"').replace('file: "sources/b12.txt"', 'file: "doc.txt"')
    text = text.replace('      - id: foods\n        name: "Foods"\n', "")
    text += (
        skips
        + """facts:
  - id: calcium-builds
    pattern: concept
    topic: basics
    sources:
      - document: ms-bone
        quote: "calcium builds bone"
    prompt: "What does calcium build?"
    answer: "Bone"
  - id: vitamin-d
    pattern: concept
    topic: b12-topic
    sources:
      - document: b12
        quote: "Vitamin D helps absorb calcium"
    prompt: "What does vitamin D help absorb?"
    answer: "Calcium"
"""
    )
    path = tmp_path / "source.yaml"
    path.write_text(text)
    return path


def test_sources_lists_every_sentence_and_fails_on_one_unaccounted(tmp_path: Path) -> None:
    result = run("sources", "--source", tiny(tmp_path, ""), "--format", "json")
    assert result.exit_code == 1
    assert "8 sentences neither quoted nor skipped" in result.stderr  # 4 of each document
    report = json.loads(result.stdout)
    ms = next(d for d in report if d["document"] == "ms-bone")
    status = {line["text"]: (line["status"], line["facts"]) for line in ms["lines"]}
    assert status["Calcium builds bone."] == ("quoted", ["calcium-builds"])
    assert status["Vitamin D helps absorb calcium."] == ("unaccounted", [])
    assert status["Kale is rich in calcium"] == ("unaccounted", [])
    assert status["5 min read"] == ("unaccounted", [])


def test_skips_account_for_sentences_and_a_skip_of_a_quoted_sentence_is_reported(tmp_path: Path) -> None:
    skips = """skip:
  - {document: ms-bone, quote: "Title of the document", reason: "heading"}
  - {document: ms-bone, quote: "5 min read", reason: "page residue"}
  - {document: ms-bone, quote: "Vitamin D helps", reason: "carded from the other document"}
  - {document: ms-bone, quote: "Kale is rich in calcium", reason: "a test"}
  - {document: b12, quote: "Title of the document", reason: "heading"}
  - {document: b12, quote: "5 min read", reason: "page residue"}
  - {document: b12, quote: "Calcium builds bone", reason: "carded from the other document"}
  - {document: b12, quote: "Kale is rich in calcium", reason: "a test"}
"""
    source = tiny(tmp_path, skips)
    result = run("sources", "--source", source, "--summary")
    assert result.exit_code == 0, result.output
    assert "| ms-bone  |         5 |      1 |       4 |           0 |" in result.output
    assert "skipped in ms-bone: a test 1, carded from the other document 1, heading 1, page residue 1" in result.output
    source.write_text(
        source.read_text().replace(
            'quote: "Kale is rich in calcium", reason: "a test"}\n  - {document: b12',
            'quote: "calcium builds", reason: "stale"}\n  - {document: b12',
            1,
        )
    )
    result = run("sources", "--source", source, "--summary")
    assert result.exit_code == 1
    assert "skip of \"calcium builds\" in 'ms-bone' covers only sentences that facts quote; remove it" in result.output
    assert "1 sentence neither quoted nor skipped" in result.output


def test_the_bundled_documents_are_all_accounted_for() -> None:
    result = run("sources", "--source", ROOT / "source.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    for document in json.loads(result.output):
        assert document["unaccounted"] == 0 and document["redundant_skips"] == []
        assert document["quoted"] > document["skipped"], document["document"]


def test_every_fact_of_the_bundled_source_quotes_every_document_it_cites() -> None:
    from cardgen.validate import read_source

    source = read_source(ROOT / "source.yaml")  # raises when a quote is not in its document
    assert all(c.quote for fact in source.facts for c in fact.sources)
    assert {d.file for d in source.documents.values()} == {ROOT / "sources" / "ms-bone.txt", ROOT / "sources" / "b12.txt"}


def test_a_card_back_shows_each_document_with_its_words(small: Path, tmp_path: Path, col: Collection) -> None:
    text = small.read_text().replace(
        '''      - document: b12
        quote: "Vitamin D ... Rickets in children; osteomalacia in adults, weaker bones."''',
        '''      - document: b12
        quote: "Vitamin D ... Rickets in children; osteomalacia in adults, weaker bones."
      - document: ms-bone
        quote: "Vitamin D helps our bodies effectively absorb calcium"''',
    )
    assert text != small.read_text()
    small.write_text(text)
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    (note_id,) = col.find_notes('"nutrient:Vitamin D"')
    note = col.get_note(note_id)
    back = visible_text(note.cards()[0].answer())
    assert (
        "Source: “Vitamin D ... Rickets in children; osteomalacia in adults, weaker bones.” — Is Vitamin B12 Good for "
        "Osteoporosis? Understanding the Link “Vitamin D helps our bodies effectively absorb calcium” — The Importance of "
        "Bone Health With MS, a registered dietitian nutritionist living with RRMS"
    ) in back
    assert set(note.tags) >= {"test-bones::source::b12", "test-bones::source::ms-bone"}


def test_learners_of_v1_keep_every_note_and_review_when_the_sources_arrive(tmp_path: Path, col: Collection) -> None:
    """v1 shipped without quotes; v2, the build that added them (kept as a fixture: later
    versions redesign the deck, see test_redesign.py), updates every note in place."""
    first = import_package(col, FIXTURES / "v1" / "bone-health-ms.apkg")
    assert first.new == 287
    reviewed = review(col, "Bone Health and MS", 30)
    assert len(reviewed) == 30
    due = {c: (col.get_card(c).ivl, col.get_card(c).due, col.get_card(c).reps) for c in reviewed}
    notes_before = set(col.find_notes(""))
    second = import_package(col, FIXTURES / "v1" / "bone-health-ms-v2.apkg")
    assert (second.new, second.conflicting) == (0, 0)
    assert second.updated == 287  # the Source on every back, in place
    assert set(col.find_notes("")) == notes_before
    assert {c: (col.get_card(c).ivl, col.get_card(c).due, col.get_card(c).reps) for c in reviewed} == due
    assert col.db.scalar("select count() from revlog") == 30
    assert all("“" in visible_text(col.get_card(c).answer()) for c in reviewed)  # the quotes arrived
    assert [m["name"] for m in col.models.all() if m["name"].endswith("+")] == []


def test_an_edited_document_is_checked_again_not_answered_from_the_build_cache(small: Path, tmp_path: Path) -> None:
    """The up-to-date cache records the documents too: a quote the edit removed is caught."""
    out = tmp_path / "decks"
    build(small, out)
    assert "is up to date" in run("build", "--source", small, "--out", out).output  # the cache answers
    document = tmp_path / "sources" / "b12.txt"
    document.write_text(document.read_text().replace("osteoblasts, the cells responsible", "osteoclasts, the cells responsible"))
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert "quote of fact 'b12-osteoblasts' is not in document 'b12'" in result.output

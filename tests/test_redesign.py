"""A learner of v1 (352 cards, lists with a blank) is carried over to today's deck in the
real engine: every review of a surviving note kept, retired notes tagged, no "+" note
type, and the import exactly as `cardgen diff` predicted."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT, build, copy_source
from engine import import_package, open_collection, review

from cardgen.build import diff

RETIRED = "bone-health::retired"


def test_a_learner_of_v1_keeps_every_surviving_review_through_the_redesign(tmp_path: Path) -> None:
    source = copy_source(ROOT / "source.yaml", tmp_path)
    out = tmp_path / "decks"
    out.mkdir()
    for name in ("bone-health-ms.apkg", "cardgen.lock.json", "CHANGELOG.md"):
        shutil.copy(FIXTURES / "v1" / name, out / name)
    col = open_collection(tmp_path / "learner")
    fresh = open_collection(tmp_path / "fresh")
    try:
        assert import_package(col, out / "bone-health-ms.apkg").new == 287
        v1_notes = {col.get_note(n).guid: n for n in col.find_notes("")}
        reviewed = review(col, "Bone Health and MS", 40)
        assert len(reviewed) == 40  # 20 new cards a day, each answered twice
        state = {c: (col.get_card(c).ivl, col.get_card(c).due, col.get_card(c).reps) for c in reviewed}

        (predicted,) = diff(source, out).decks
        build(source, out)
        log = import_package(col, out / "bone-health-ms.apkg")
        assert dataclasses.asdict(log) == predicted.predicted()

        import_package(fresh, out / "bone-health-ms.apkg")
        live = {fresh.get_note(n).guid for n in fresh.find_notes(f"-tag:{RETIRED}")}
        gone = set(v1_notes) - live
        assert {col.get_note(v1_notes[g]).guid for g in gone} == {col.get_note(n).guid for n in col.find_notes(f"tag:{RETIRED}")}
        for guid in set(v1_notes) & live:  # a surviving note is the same note, not a copy
            assert col.get_note(v1_notes[guid]).guid == guid
        assert col.db.scalar("select count() - count(distinct guid) from notes") == 0
        assert col.db.scalar("select count() from revlog") == 40
        assert {c: (col.get_card(c).ivl, col.get_card(c).due, col.get_card(c).reps) for c in reviewed} == state
        assert [m["name"] for m in col.models.all() if m["name"].endswith("+")] == []
    finally:
        col.close()
        fresh.close()


def test_a_new_learner_meets_the_topics_in_the_order_the_source_declares(tmp_path: Path) -> None:
    """Default options, the parent deck: new cards come topic by topic, foundations first."""
    from cardgen.identity import note_guid
    from cardgen.validate import read_source

    source = read_source(ROOT / "source.yaml")
    topics = [t.subdeck for t in source.decks[0].topics]
    assert [t.name.split(" ", 1)[0] for t in source.decks[0].topics] == [str(n) for n in range(1, len(topics) + 1)]
    first_fact = source.facts[0]
    col = open_collection(tmp_path / "anki")
    try:
        import_package(col, ROOT / "decks" / "bone-health-ms.apkg")
        col.decks.select(col.decks.id_for_name("Bone Health and MS"))
        queued = [col.get_card(q.card.id) for q in col.sched.get_queued_cards(fetch_limit=20).cards]
        assert len(queued) == 20  # a default day's new cards
        order = [topics.index(col.decks.name(card.did)) for card in queued if card.ord == 0]
        assert order == sorted(order) and order[0] == 0, order
        assert first_fact.topic.subdeck == topics[0]
        assert all(RETIRED not in card.note().tags for card in queued)
        # Within a topic, in the source's fact order (each of these facts makes one note).
        expected = [note_guid(f.pattern, f.id) for f in source.facts if f.topic.subdeck == topics[0]]
        met = list(dict.fromkeys(card.note().guid for card in queued if col.decks.name(card.did) == topics[0]))
        assert met == expected
    finally:
        col.close()

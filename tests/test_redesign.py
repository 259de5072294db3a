"""A learner of v1 (352 cards, lists with a blank) is carried over to today's deck in the
real engine: every review of a surviving note kept, retired notes tagged, no "+" note
type, and the import exactly as `cardgen diff` predicted."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from anki.collection import Collection
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


def test_a_new_learner_meets_the_topics_in_the_order_the_source_declares(tmp_path: Path, col: Collection) -> None:
    """Default options, the parent deck: new cards come topic by topic, foundations first."""
    from cardgen.identity import note_guid
    from cardgen.validate import read_source

    source = read_source(ROOT / "source.yaml")
    topics = [t.subdeck for t in source.decks[0].topics]
    assert [t.name.split(" ", 1)[0] for t in source.decks[0].topics] == [str(n) for n in range(1, len(topics) + 1)]
    first_fact = source.facts[0]
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


def test_a_new_learner_meets_every_live_card_before_any_retired_one(tmp_path: Path, col: Collection) -> None:
    """Retired notes ship in their own subdeck, which sorts after every numbered topic: a new
    learner meets each live card of a card type before any retired one."""
    from cardgen.build import build as build_decks

    source = copy_source(ROOT / "source.yaml", tmp_path)
    for fact in ("exercise-set-high-impact", "vitamin-d-foods", "b12-homocysteine-harms"):  # so this build retires some
        text = source.read_text()
        start = text.index(f"  - id: {fact}\n")
        end = min(i for i in (text.find("\n  - id:", start + 1), text.find("\n  # ", start + 1), len(text)) if i >= 0)
        source.write_text(text[:start] + text[end + 1 :])
    out = tmp_path / "decks"
    shutil.copytree(ROOT / "decks", out)
    build_decks(source, out, cached=False)  # the build, not only the committed package
    import_package(col, out / "bone-health-ms.apkg")
    config = col.decks.get_config(1)
    config["new"]["perDay"] = 9999  # the whole deck in one day, in the order Anki gives it
    col.decks.update_config(config)
    col.decks.select(col.decks.id_for_name("Bone Health and MS"))
    queued = [col.get_card(q.card.id) for q in col.sched.get_queued_cards(fetch_limit=2000).cards]
    assert len(queued) == col.card_count()
    # Anki's default new-card sort is by card type first, then by position: a note's
    # second card type comes after every first-type card, retired ones included.
    firsts = [card for card in queued if card.ord == 0]
    retired = [RETIRED in card.note().tags for card in firsts]
    assert any(retired), "this version retires notes; the test needs some"
    first = retired.index(True)
    assert all(retired[first:]), "a live card comes after a retired one"
    assert {col.decks.name(c.did) for c in firsts[first:]} == {"Bone Health and MS::Retired (safe to delete)"}
    assert not any(RETIRED in card.note().tags for card in queued if card.ord > 0)


def test_anki_resets_a_shipped_suspension_on_import_so_retired_cards_are_not_shipped_suspended(tmp_path: Path, col: Collection) -> None:
    """Why the subdeck and not suspension: the engine, under default import options, makes a
    new card from a suspended one in the package an ordinary new card. If this ever fails,
    shipping retired cards suspended becomes possible."""
    import io
    import sqlite3
    import zipfile

    package = tmp_path / "suspended.apkg"
    with zipfile.ZipFile(ROOT / "decks" / "bone-health-ms.apkg") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    conn = sqlite3.connect(":memory:")
    conn.deserialize(entries["collection.anki2"])
    conn.execute("UPDATE cards SET queue = -1")
    conn.commit()
    entries["collection.anki2"] = conn.serialize()
    conn.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    package.write_bytes(buffer.getvalue())
    import_package(col, package)
    assert col.find_cards("is:suspended") == [] and col.card_count() > 0

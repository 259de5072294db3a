"""A learner of v1 (352 cards, lists with a blank) is carried over to today's deck in the
real engine: every review of a surviving note kept, retired notes tagged, no "+" note
type, and the import exactly as `cardgen diff` predicted."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from cardgen.build import diff
from conftest import FIXTURES, ROOT, build, copy_source
from engine import import_package, open_collection, review

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

"""Read aloud (`read_aloud: en_US`): Anki's text-to-speech on every front and answer, in the
real engine, and turning it on or off reaches a learner's collection in place."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from anki.collection import Collection
from anki.sound import TTSTag
from conftest import T0, build_at
from engine import import_package, open_collection, render_problems, review, visible_text

from cardgen.build import diff
from cardgen.identity import Clock


def read_aloud(source: Path, language: str | None) -> None:
    lines = [line for line in source.read_text().splitlines(keepends=True) if not line.startswith("read_aloud:")]
    if language:
        lines.insert(1, f"read_aloud: {language}\n")
    source.write_text("".join(lines))


def spoken(col: Collection) -> list[tuple[str, list[TTSTag], list[TTSTag]]]:
    """Each card's visible front, and what its front and answer read aloud."""
    found = []
    for card_id in sorted(col.find_cards("")):
        card = col.get_card(card_id)
        q, a = card.question_av_tags(), card.answer_av_tags()
        assert all(isinstance(tag, TTSTag) for tag in q + a)
        found.append((visible_text(card.question()), [t for t in q if isinstance(t, TTSTag)], [t for t in a if isinstance(t, TTSTag)]))
    return found


def test_every_front_and_answer_is_read_aloud_and_off_reads_nothing(small: Path, tmp_path: Path, col: Collection) -> None:
    read_aloud(small, "en_US")
    build_at(small, tmp_path / "decks", T0)
    for apkg in ("bones.apkg", "b12.apkg"):
        import_package(col, tmp_path / "decks" / apkg)
    assert render_problems(col) == []
    cards = spoken(col)
    assert len(cards) == col.card_count() > 20
    for front, question, answer in cards:
        assert [t.lang for t in question] == ["en_US"] and [t.lang for t in answer] == ["en_US"], front
        assert question[0].field_text.strip() and answer[0].field_text.strip(), front
        assert "[...]" not in question[0].field_text  # a cloze blank is read as "blank", not as brackets
        assert not [t for t in question + answer if "querySelector" in t.field_text or "<" in t.field_text]  # no script read
    fronts = {front: q[0].field_text.strip() for front, q, _ in cards}
    assert fronts["Bone health: what do bones protect?"] == "Bone health: what do bones protect?"
    clozes = [q[0].field_text for front, q, _ in cards if "[...]" in front]
    assert clozes and all("blank" in text for text in clozes), clozes
    answers = {front: a[0].field_text.strip() for front, _, a in cards}
    assert answers["Bone health: what do bones protect?"] == "Our vital organs"

    read_aloud(small, None)
    build_at(small, tmp_path / "quiet", T0)
    with_none = open_collection(tmp_path / "anki-quiet")
    try:
        import_package(with_none, tmp_path / "quiet" / "bones.apkg")
        assert [(f, q, a) for f, q, a in spoken(with_none) if q or a] == []
        assert "[anki:" not in " ".join(with_none.get_card(c).answer() for c in with_none.find_cards(""))
    finally:
        with_none.close()


def test_turning_read_aloud_on_and_off_updates_learners_note_types_in_place(small: Path, tmp_path: Path, col: Collection) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    import_package(col, out / "bones.apkg")
    answered = len(review(col, "Test Bones", 5))
    note_types = sorted(m["id"] for m in col.models.all())

    for step, language in enumerate(["en_US", None], start=1):
        read_aloud(small, language)
        now = T0 + 60 * step
        (bones,) = [d for d in diff(small, out, clock=Clock(now=now, real=now)).decks if d.deck == "bones"]
        assert bones.types and {t.kind for t in bones.types} == {"in place"}, bones.types
        assert all("card templates changed" in t.detail for t in bones.types)
        build_at(small, out, now)
        log = import_package(col, out / "bones.apkg")
        assert dataclasses.asdict(log) == bones.predicted() and log.conflicting == 0
        assert sorted(m["id"] for m in col.models.all()) == note_types
        assert not [m["name"] for m in col.models.all() if m["name"].endswith("+")]
        assert col.db.scalar("select count() from revlog") == answered
        heard = [q for _, q, _ in spoken(col)]
        assert all(heard) if language else not any(heard)

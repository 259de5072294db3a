"""cardgen writes the rows of notes and cards itself, all at once: they must be the rows genanki's
own note writing gives for the same notes, ids and mods, and the same cards it would generate."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Iterator

import genanki
import pytest
from conftest import FIXTURES, T0, build_at
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen import identity, package, unpack
from cardgen.assemble import notes_of
from cardgen.identity import Assigned
from cardgen.package import NoteOut
from cardgen.patterns import PATTERNS
from cardgen.validate import read_source

MAIN = Path(__file__).resolve().parent.parent

MODELS = [package.model(p, read_aloud=voice) for p in PATTERNS.values() for voice in (None, "en_US")]
VALUES = st.sampled_from(["", "text", " ", "{{c1::a}}", "{{c2::a}} and {{c4::b}}", "{{c0::none}}", "{{c1::a}} {{c1::b}}", "{{c12::x}}"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MODELS), st.lists(VALUES, min_size=12, max_size=12))
def test_card_ords_are_the_cards_genanki_generates(m: genanki.Model, values: list[str]) -> None:
    fields = values[: len(m.fields)]
    assert package.card_ords(m, fields) == tuple(card.ord for card in genanki.Note(model=m, fields=fields).cards)


def _genanki_package(name: str, description: str, notes: list[NoteOut], models: dict[int, genanki.Model]) -> bytes:
    """The same notes written by genanki's own Note.write_to_db, every mod the build time."""
    decks = {name: genanki.Deck(identity.deck_id(name), name, description)}
    made: list[tuple[genanki.Note, NoteOut]] = []
    for out in notes:
        deck = decks.setdefault(out.subdeck, genanki.Deck(identity.deck_id(out.subdeck), out.subdeck))
        note = genanki.Note(model=models[out.model_id], fields=list(out.fields), tags=list(out.tags), guid=out.guid, due=out.due)
        deck.add_note(note)
        made.append((note, out))
    by_note = {id(note): out for note, out in made}

    def ids() -> Iterator[int]:
        for deck in decks.values():
            for note in deck.notes:
                assigned = by_note[id(note)].assigned
                yield assigned.id
                yield from (assigned.card_ids[card.ord] for card in note.cards)

    conn = sqlite3.connect(":memory:")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            genanki.Package(list(decks.values())).write_to_db(conn.cursor(), T0, ids())
        conn.commit()
        collection = conn.serialize()
    finally:
        conn.close()
    return package._zip({"collection.anki2": collection, "media": b"{}"})


def test_the_rows_are_the_rows_genanki_writes() -> None:
    specs = [spec for source in (MAIN / "source.yaml", FIXTURES / "small.yaml") for spec in notes_of(read_source(source))]
    models = {m.model_id: m for m in (package.model(p) for p in PATTERNS.values())}
    by_pattern = {p.key: package.model(p).model_id for p in PATTERNS.values()}
    notes = []
    next_id = 1_700_000_000_000
    for i, spec in enumerate(specs):
        m = models[by_pattern[spec.pattern]]
        ords = package.card_ords(m, spec.fields)
        cards = {o: next_id + 1 + k for k, o in enumerate(ords)}
        subdeck = ("Deck::one", "Deck::two", "Deck")[i % 3]  # a note type in several decks, and in the top one
        guid = identity.note_guid(spec.pattern, f"{spec.key}-{i}")
        notes.append(NoteOut(guid, m.model_id, tuple(spec.fields), tuple(spec.tags), ords, subdeck, Assigned(next_id, T0, cards), i))
        next_id += 100
    assert {n.model_id for n in notes} == set(models) and any(len(n.ords) > 1 for n in notes)
    ours = package.write("Deck", "about it", models, {mid: T0 for mid in models}, notes)
    theirs = _genanki_package("Deck", "about it", notes, models)
    assert unpack.holdings(ours) == unpack.holdings(theirs)
    assert _schema(ours) == _schema(theirs)  # every table and index genanki makes, as it makes them


def _schema(data: bytes) -> list[tuple[str, ...]]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(zipfile.ZipFile(io.BytesIO(data)).read("collection.anki2"))
        return sorted(conn.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"))
    finally:
        conn.close()


def test_the_last_packages_are_read_as_contents_reads_them(small: Path, tmp_path: Path) -> None:
    """old_notes reads only what a rebuild needs, with its own query: each note where
    `contents` places it (the deck of its newest card), with its fields, tags and note type."""
    out = tmp_path / "decks"
    build_at(small, out, T0)
    data = (out / "bones.apkg").read_bytes()
    conn = sqlite3.connect(":memory:")
    conn.deserialize(zipfile.ZipFile(io.BytesIO(data)).read("collection.anki2"))
    # one note's cards in two decks, its newer card in the other (a learner cannot do this; a hand can)
    nid, did = conn.execute("SELECT nid, max(did) FROM cards GROUP BY nid HAVING count() > 1 LIMIT 1").fetchone()
    other = next(int(k) for k in json.loads(conn.execute("SELECT decks FROM col").fetchone()[0]) if int(k) != did)
    conn.execute("UPDATE cards SET did = ? WHERE id = (SELECT max(id) FROM cards WHERE nid = ?)", (other, nid))
    conn.commit()
    tampered = package._zip({"collection.anki2": conn.serialize(), "media": b"{}"})
    conn.close()
    for held in (data, tampered):
        seen = unpack.contents(held)
        notes, models = unpack.old_notes(held)
        assert models == seen["models"]
        assert {
            guid: (mid, tuple(flds.split("\x1f")), tuple(tags.split()), seen["note_decks"][note_id])
            for guid, note_id, mid, _mod, tags, flds in seen["notes"]
        } == {guid: (n.model_id, n.fields, n.tags, n.subdeck) for guid, n in notes.items()}


def test_a_note_type_of_no_known_type_is_refused_as_genanki_refuses_it() -> None:
    m = package.model(PATTERNS["concept"])
    m.model_type = 2  # only a tampered package's note type can say this
    with pytest.raises(ValueError):
        genanki.Note(model=m, fields=["a"] * len(m.fields)).cards
    with pytest.raises(ValueError, match="has type 2"):
        package.card_ords(m, ["a"] * len(m.fields))


def _deck(name: str) -> tuple[str, str, dict[int, genanki.Model], dict[int, int], list[NoteOut]]:
    """A deck of one note, as the build gives it to `package.filled` (and `package.write`)."""
    m = package.model(PATTERNS["concept"])
    fields = ("q", "a", *[""] * (len(m.fields) - 2))
    ords = package.card_ords(m, fields)
    note_id = 1_700_000_000_000
    assigned = Assigned(note_id, T0, {o: note_id + 1 + o for o in ords})
    note = NoteOut(identity.note_guid("concept", name), m.model_id, fields, (), ords, name, assigned)
    return name, "", {m.model_id: m}, {m.model_id: T0}, [note]


def test_the_zipper_gives_each_package_finished_and_zipped_and_raises_what_it_raised() -> None:
    """The build leaves each package's place empty until the zipper gives it: a package it
    lost, or an error it kept to itself, would be written as an empty file. Its thread
    builds the indexes and zips: the bytes are the ones made all on one thread."""
    with package.Zipper() as zipper:
        zipper.add("a.apkg", package.filled(*_deck("First")))
        zipper.add("b.apkg", package.filled(*_deck("Second")))
        zipper.add("a.apkg", package.filled(*_deck("Again")))
        assert zipper.done() == {"a.apkg": package.write(*_deck("Again")), "b.apkg": package.write(*_deck("Second"))}
    closed = package.filled(*_deck("Closed"))
    closed.conn.close()
    with package.Zipper() as zipper, pytest.raises(sqlite3.ProgrammingError):
        zipper.add("c.apkg", closed)
        zipper.done()


def test_the_zipper_shortens_the_switch_interval_while_it_is_open_and_gives_it_back() -> None:
    """Its thread gets the GIL back soon after each index and deflate; the process's own
    interval comes back when the zipper closes, after an error too, and a shorter one is kept."""
    before = sys.getswitchinterval()
    try:
        with package.Zipper():
            assert sys.getswitchinterval() == pytest.approx(package.SWITCH_INTERVAL, rel=0.05)
        assert sys.getswitchinterval() == before
        with pytest.raises(KeyError), package.Zipper():
            raise KeyError("a build that failed on the way")
        assert sys.getswitchinterval() == before
        sys.setswitchinterval(package.SWITCH_INTERVAL / 5)
        with package.Zipper():
            assert sys.getswitchinterval() == pytest.approx(package.SWITCH_INTERVAL / 5, rel=0.05)  # Python keeps it in whole microseconds
    finally:
        sys.setswitchinterval(before)

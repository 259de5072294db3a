"""genanki behind one module: note types, card generation, and `.apkg` bytes (`unpack` reads them back).

genanki's quirks stay here. It stamps every note, card and note type with one build time
and numbers ids from it; it leaves a temporary SQLite file per package; its zip carries
wall-clock dates. So genanki writes its collection (tables, decks, note types) into an
in-memory database only; the rows of notes and cards go in beside them, in genanki's
columns, with the ids and mods the lock settled; and the zip is written with fixed dates
and order.
"""

from __future__ import annotations

import functools
import io
import json
import re
import sqlite3
import sys
import warnings
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Sequence

import genanki

from cardgen import identity
from cardgen.identity import Assigned
from cardgen.lock import Schema
from cardgen.patterns.base import CSS, Pattern, spoken

Model = genanki.Model  # a note type as written; other modules name it through here, never genanki
CLOZE = genanki.Model.CLOZE  # a cloze note type's model_type
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold; no clock, no time zone


class NoteOut(NamedTuple):
    """A note ready to write: its row's values, its cards' ordinals, where it goes, and the
    identity the lock settled. (A named tuple: a large build makes two per note, and one
    costs a third of a frozen dataclass.)"""

    guid: str
    model_id: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    ords: tuple[int, ...]  # its cards, as `card_ords` generates them
    subdeck: str
    assigned: Assigned
    due: int = 0  # a new card's position: Anki hands out a deck's new cards in its order

    def settled(self, assigned: Assigned) -> NoteOut:
        """The same note with the identity the lock settled."""
        return NoteOut(self.guid, self.model_id, self.fields, self.tags, self.ords, self.subdeck, assigned, self.due)


UNSETTLED = Assigned(0, 0)  # a note's identity before the lock is consulted


def model(
    pattern: Pattern,
    version: int = 1,
    namespace: str = identity.LEGACY,
    read_aloud: str | None = None,
    css: str = CSS,
) -> genanki.Model:
    """The note type of a pattern, every field and card type with its fixed id.

    A declared new version is a note type of its own, with its own id and name, so that
    Anki never has to invent a "Name+" copy; its fields and card types keep their ids.
    A project's namespace is in the name too: Anki adds "+" to a name another note type has.
    Read-aloud changes only the card types' templates, so turning it on or off reaches
    learners in place.
    """
    sides = [spoken(t, read_aloud) if read_aloud else (t.front, t.back) for t in pattern.templates]
    said = [namespace] * (namespace != identity.LEGACY) + [f"v{version}"] * (version != 1)
    return genanki.Model(
        model_id=identity.model_id(pattern.key, pattern.model_id, version, namespace),
        name=f"{pattern.name} ({', '.join(said)})" if said else pattern.name,
        fields=[{"name": f.name, "id": identity.field_id(pattern.model_id, f.key)} for f in pattern.fields],
        templates=[
            {"name": t.name, "id": identity.template_id(pattern.model_id, t.key), "qfmt": front, "afmt": back}
            for t, (front, back) in zip(pattern.templates, sides, strict=True)
        ],
        css=css,
        model_type=genanki.Model.CLOZE if pattern.cloze else genanki.Model.FRONT_BACK,
    )


def model_from_contents(model_id: int, m: Mapping[str, Any]) -> genanki.Model:
    """A note type as `contents` read it from a package, to write its notes once more."""
    return genanki.Model(
        model_id=model_id,
        name=m["name"],
        fields=[{"name": name, "id": field_id} for name, field_id in m["fields"]],
        templates=[{"name": n, "id": i, "qfmt": q, "afmt": a} for n, i, q, a in m["templates"]],
        css=m["css"],
        model_type=m["type"],
    )


def schema(m: genanki.Model) -> Schema:
    """What Anki compares to decide a note type is the same: its fields' and card types' ids."""
    return Schema(tuple(f["id"] for f in m.fields), tuple(t["id"] for t in m.templates))


def model_content(m: genanki.Model) -> dict[str, Any]:
    """Everything about a note type that a learner's collection would see change."""
    return {
        "name": m.name,
        "type": m.model_type,
        "css": m.css,
        "fields": [[f["name"], f["id"]] for f in m.fields],
        "templates": [[t["name"], t["id"], t["qfmt"], t["afmt"]] for t in m.templates],
    }


def card_ords(m: genanki.Model, fields: Sequence[str]) -> tuple[int, ...]:
    """The card ordinals genanki 0.13 (like Anki) generates for a note of `m` with these
    field values, in its order: genanki's own rules, without building its Note (a test holds
    the two equal)."""
    if m.model_type == genanki.Model.CLOZE:
        qfmt = m.templates[0]["qfmt"]
        names = [f["name"] for f in m.fields]
        ords: set[int] = set()
        for name in set(_CLOZE_FIELD.findall(qfmt) + _CLOZE_FIELD_OLD.findall(qfmt)):
            value = fields[names.index(name)] if name in names else ""
            ords.update(int(n) - 1 for n in _CLOZE_NUMBER.findall(value) if int(n) > 0)
        return tuple(ords)
    if m.model_type != genanki.Model.FRONT_BACK:  # as genanki refuses it (a package's note type, tampered)
        raise ValueError(f"note type {m.name!r} has type {m.model_type!r}; expected {genanki.Model.FRONT_BACK} or {genanki.Model.CLOZE}")
    return _front_back_ords(m, tuple(map(bool, fields)))


@functools.lru_cache(maxsize=1024)
def _front_back_ords(m: genanki.Model, filled: tuple[bool, ...]) -> tuple[int, ...]:
    """A front/back note's cards by which of its fields are filled in, all that genanki's rules
    look at: a build asks again and again for the same few of each note type."""
    return tuple(o for o, mode, needed in m._req if (all if mode == "all" else any)(filled[i] for i in needed))


_CLOZE_FIELD = re.compile(r"{{[^}]*?cloze:(?:[^}]?:)*(.+?)}}")
_CLOZE_FIELD_OLD = re.compile("<%cloze:(.+?)%>")
_CLOZE_NUMBER = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)


class Shipped(NamedTuple):
    """A note as a package holds it, its rows as they are: what `write` writes again of a note
    no edit touched, without making a NoteOut of it."""

    guid: str
    model_id: int
    subdeck: str
    row: tuple[Any, ...]  # id, guid, mid, mod, tags, flds, sfld: `_NOTE_ROW`'s values
    cards: list[tuple[Any, ...]]  # id, nid, did, ord, mod, due: `_CARD_ROW`'s, in genanki's order

    @property
    def field_count(self) -> int:
        return int(self.row[5].count("\x1f")) + 1

    def out(self) -> NoteOut:
        """The note as the build that wrote it had it ready to write."""
        nid, guid, mid, mod, tags, flds, _ = self.row
        fields = tuple(flds.split("\x1f"))
        ords = tuple(card[3] for card in self.cards)
        return NoteOut(
            guid,
            mid,
            fields,
            tuple(tags.split()),
            ords,
            self.subdeck,
            Assigned(nid, mod, {c[3]: c[0] for c in self.cards}),
            self.cards[0][5],
        )


def write(
    name: str, description: str, models: Mapping[int, genanki.Model], model_mods: Mapping[int, int], notes: Iterable[NoteOut | Shipped]
) -> bytes:
    """The `.apkg` bytes of one deck: the same input gives the same bytes, on any day."""
    return zipped(collection(name, description, models, model_mods, notes))


def collection(
    name: str, description: str, models: Mapping[int, genanki.Model], model_mods: Mapping[int, int], notes: Iterable[NoteOut | Shipped]
) -> bytes:
    """The collection file (`collection.anki2`) of one deck's package, as `write` zips it."""
    return finished(filled(name, description, models, model_mods, notes))


class Filled(NamedTuple):
    """A deck's collection with every row in, as `filled` leaves it for `finished`."""

    conn: sqlite3.Connection
    indexes: list[str]  # genanki's CREATE INDEX statements, its indexes dropped while the rows went in
    model_mods: Mapping[int, int]


def filled(
    name: str, description: str, models: Mapping[int, genanki.Model], model_mods: Mapping[int, int], notes: Iterable[NoteOut | Shipped]
) -> Filled:
    """One deck's collection in a database in memory, its indexes not built yet: `finished`
    ends it, on this thread or another (the `Zipper`'s).

    genanki writes the collection: its tables, the decks and the note types, each note type
    under the last deck that has a note of it, as genanki's own note writing leaves it. The
    rows of notes and cards are cardgen's, inserted all at once with the ids and mods the lock
    settled, in genanki's columns and values (a test compares them with genanki's own rows):
    genanki would stamp them with one build time, through a Python call per row.
    """
    decks: dict[str, genanki.Deck] = {name: genanki.Deck(identity.deck_id(name), name, description)}
    placed: dict[str, list[NoteOut | Shipped]] = {name: []}
    for out in notes:
        if out.subdeck not in decks:
            decks[out.subdeck] = genanki.Deck(identity.deck_id(out.subdeck), out.subdeck)
            placed[out.subdeck] = []
        placed[out.subdeck].append(out)
    for deck in decks.values():
        for out in placed[deck.name]:
            m = models[out.model_id]
            deck.add_model(m)
            count = out.field_count if isinstance(out, Shipped) else len(out.fields)
            if count != len(m.fields):
                raise ValueError(f"note {out.guid} has {count} fields and its note type {m.name!r} {len(m.fields)}")

    def note_rows() -> Iterator[tuple[Any, ...]]:  # made as SQLite takes them: never all in memory at once
        for deck in decks.values():
            for out in placed[deck.name]:
                if isinstance(out, Shipped):  # as its package holds it
                    yield out.row
                    continue
                a, sort_field = out.assigned, models[out.model_id].sort_field_index
                yield a.id, out.guid, out.model_id, a.mod, f" {' '.join(out.tags)} ", "\x1f".join(out.fields), out.fields[sort_field]

    def card_rows() -> Iterator[tuple[Any, ...]]:
        for deck in decks.values():
            for out in placed[deck.name]:
                if isinstance(out, Shipped):
                    yield from out.cards
                    continue
                a = out.assigned
                yield from ((a.card_ids[o], a.id, deck.deck_id, o, a.mod, out.due) for o in out.ords)

    conn = sqlite3.connect(":memory:", check_same_thread=False)  # used by one thread at a time, handed on by the Zipper
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a database in memory, thrown away on any error
        cursor = conn.cursor()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # genanki warns about HTML we wrote on purpose
            genanki.Package(list(decks.values())).write_to_db(cursor, 0, iter(()))
        # genanki's indexes, built once the rows are in: a third less time than keeping them up to date row by row
        indexes = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for index, _ in indexes:
            cursor.execute(f'DROP INDEX "{index}"')
        cursor.executemany(_NOTE_ROW, note_rows())
        cursor.executemany(_CARD_ROW, card_rows())
    except BaseException:
        conn.close()
        raise
    return Filled(conn, [sql for _, sql in indexes], dict(model_mods))


def finished(collection: Filled) -> bytes:
    """The collection file of a filled one: its indexes built, its note types' mods settled.
    SQLite lets go of the GIL while it builds an index, so on the Zipper's thread this goes
    on beside the build (0.06 s for a deck of 50,000 notes, its serializing 0.05 s)."""
    try:
        cursor = collection.conn.cursor()
        for sql in collection.indexes:
            cursor.execute(sql)
        _settle_model_mods(cursor, collection.model_mods)
        collection.conn.commit()
        return collection.conn.serialize()
    finally:
        collection.conn.close()


def zipped(collection: bytes) -> bytes:
    """A package of the collection file: the `.apkg` bytes."""
    return _zip({"collection.anki2": collection, "media": b"{}"})


# genanki's rows, its constants written in: id, guid, mid, mod, usn -1, tags, flds, sfld, csum 0, flags 0, data;
# id, nid, did, ord, mod, usn -1, type 0, queue 0, due, ivl, factor, reps, lapses, left, odue, odid, flags 0, data.
_NOTE_ROW = "INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, 0, 0, '')"
_CARD_ROW = "INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')"


def _settle_model_mods(cursor: sqlite3.Cursor, model_mods: Mapping[int, int]) -> None:
    """genanki stamped every note type with one time; each gets the lock's."""
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)
    for key, value in models.items():
        value["mod"] = model_mods[int(key)]
    cursor.execute("UPDATE col SET models = ?", (json.dumps(models, sort_keys=True),))


def _zip(entries: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, data in entries.items():
            info = zipfile.ZipInfo(entry, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=1)  # most of the size for a third of the time
    return buffer.getvalue()


def _finished_and_zipped(collection: Filled) -> bytes:
    return zipped(finished(collection))


# How long the build's thread holds the GIL while the Zipper's wants it. The Zipper's thread
# takes it back after each index, its serializing and its deflating; at Python's 5 ms it
# waited longer for the GIL than it worked, and the build then waited for it at the end.
SWITCH_INTERVAL = 0.0005


class Zipper:
    """Packages finished and zipped on a second thread while the build goes on: SQLite lets go
    of the GIL while it builds an index, and zlib while it deflates, so one deck's package is
    made while the next deck's rows (and the lock) are. While it is open, Python's switch
    interval is `SWITCH_INTERVAL`, then what it was."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cardgen-zip")
        self._pending: dict[str, Future[bytes]] = {}
        self._interval = sys.getswitchinterval()  # the process's, given back on leaving

    def __enter__(self) -> Zipper:
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(SWITCH_INTERVAL, self._interval))
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.clear()  # after an error on the way, nothing more is zipped
            self._pool.shutdown()
        finally:
            sys.setswitchinterval(self._interval)

    def add(self, file: str, collection: Filled) -> None:
        """Finish and zip `collection` as `file`'s package; added again, the later one counts.
        The collection is the Zipper's from here: nothing else touches its connection."""
        self._pending[file] = self._pool.submit(_finished_and_zipped, collection)

    def clear(self) -> None:
        """Forget every package added so far (none is given by `done`): the build makes its
        files again, and a deck it then leaves out must not come back."""
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()

    def done(self) -> dict[str, bytes]:
        """Each package added, once zipped (an error zipping one is raised here)."""
        return {file: future.result() for file, future in self._pending.items()}

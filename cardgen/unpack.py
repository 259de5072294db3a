"""What a package holds, read back: for `build --check`, the diff, retiring notes and an
edit's build. Never inflated past MAX_ENTRY, whatever a zip's header claims."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from typing import Any, Mapping, NamedTuple

from cardgen.package import CLOZE, Model, Shipped, card_ords


class OldNote(NamedTuple):
    """A note as a previous package holds it: fields and tags as stored, split only where a
    build reads them (a changed or retired note), not for every note of every package."""

    guid: str
    model_id: int
    flds: str  # the fields, joined by U+001F
    tag_text: str  # the tags, joined by spaces
    subdeck: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.flds.split("\x1f"))

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.tag_text.split())


MAX_ENTRY = 512 * 1024 * 1024  # far above any collection cardgen writes, far below a zip bomb's


class PackageTooLarge(ValueError):
    """A package entry that would inflate past MAX_ENTRY."""


def _entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """One entry of a package, never inflated past MAX_ENTRY, whatever its header claims."""
    info = archive.getinfo(name)
    if info.file_size > MAX_ENTRY:
        raise PackageTooLarge(f"its entry {name!r} would inflate to {info.file_size:,} bytes")
    with archive.open(info) as handle:
        data = handle.read(MAX_ENTRY + 1)
    if len(data) > MAX_ENTRY:
        raise PackageTooLarge(f"its entry {name!r} inflates past {MAX_ENTRY:,} bytes")
    return data


def holdings(data: bytes) -> dict[str, Any]:
    """Everything a package holds: every zip entry, every row of every table, the JSON of
    note types, decks and options parsed. Two packages that would differ in any way in a
    learner's collection (a media file, a LaTeX preamble, a card's position) differ here."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {name: _entry(archive, name) for name in sorted(archive.namelist())}
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(entries.pop("collection.anki2", b""))
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {table: sorted(map(list, conn.execute(f'SELECT * FROM "{table}"')), key=repr) for table in tables}
    finally:
        conn.close()
    for row in rows.get("col", []):
        row[:] = [_json(value) for value in row]
    return {"entries": entries, "tables": rows}


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def contents(data: bytes) -> dict[str, Any]:
    """What a package holds, in a form that compares equal across machines and SQLite builds."""
    conn = _collection(data)
    try:
        notes = conn.execute("SELECT guid, id, mid, mod, tags, flds FROM notes ORDER BY guid").fetchall()
        cards = conn.execute("SELECT id, nid, did, ord, mod FROM cards ORDER BY id").fetchall()
        models_json, decks_json = conn.execute("SELECT models, decks FROM col").fetchone()
    finally:
        conn.close()
    decks = {int(k): v for k, v in json.loads(decks_json).items()}
    return {
        "notes": [list(row) for row in notes],
        "note_decks": {nid: decks[did]["name"] for _, nid, did, _, _ in cards},
        "cards": [[cid, nid, decks[did]["name"], ordinal, mod] for cid, nid, did, ordinal, mod in cards],
        "models": _models(models_json),
        "decks": sorted((d["name"], d["desc"]) for d in decks.values() if d["name"] != "Default"),
    }


def _collection(data: bytes) -> sqlite3.Connection:
    """The package's collection, opened in memory (the caller closes it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        collection = _entry(archive, "collection.anki2")
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(collection)
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _models(models_json: str) -> dict[int, dict[str, Any]]:
    return {
        int(k): {
            "name": m["name"],
            "mod": m["mod"],
            "type": m["type"],
            "css": m["css"],
            "fields": [[f["name"], f.get("id")] for f in m["flds"]],
            "templates": [[t["name"], t.get("id"), t["qfmt"], t["afmt"]] for t in m["tmpls"]],
        }
        for k, m in json.loads(models_json).items()
    }


def shipped(data: bytes, models: Mapping[int, Model]) -> dict[int, Shipped]:
    """The notes of a package by id, as `write` takes them again. A KeyError: a note type not
    in `models`, a note without cards, a package no build of these note types wrote."""
    conn = _collection(data)
    try:
        notes = conn.execute("SELECT id, guid, mid, mod, tags, flds, sfld FROM notes").fetchall()
        cards = conn.execute("SELECT id, nid, did, ord, mod, due FROM cards ORDER BY nid, ord").fetchall()
        (decks_json,) = conn.execute("SELECT decks FROM col").fetchone()
    finally:
        conn.close()
    names = {int(k): v["name"] for k, v in json.loads(decks_json).items()}
    by_note: dict[int, list[tuple[Any, ...]]] = {}
    for card in cards:
        held = by_note.get(card[1])
        if held is None:
            by_note[card[1]] = [card]
        else:
            held.append(card)
    result = {}
    for row in notes:
        mine = by_note[row[0]]
        m = models[row[2]]
        if m.model_type == CLOZE:  # a front/back note's cards go in the order of their ordinals; a cloze's in genanki's
            where = {card[3]: card for card in mine}
            mine = [where[o] for o in card_ords(m, row[5].split("\x1f"))]
        result[row[0]] = Shipped(row[1], row[2], names[mine[0][2]], row, mine)
    return result


def old_notes(data: bytes) -> tuple[dict[str, OldNote], dict[int, dict[str, Any]]]:
    """The notes of a previous package by GUID, each in the deck of its newest card (as
    `contents` places it), and its note types by id."""
    conn = _collection(data)
    try:
        rows = conn.execute(
            "SELECT guid, mid, tags, flds, (SELECT did FROM cards WHERE nid = notes.id ORDER BY id DESC LIMIT 1) FROM notes"
        ).fetchall()
        models_json, decks_json = conn.execute("SELECT models, decks FROM col").fetchone()
    finally:
        conn.close()
    names = {int(k): v["name"] for k, v in json.loads(decks_json).items()}
    notes = {guid: OldNote(guid, mid, flds, tags, names[did] if did is not None else "") for guid, mid, tags, flds, did in rows}
    return notes, _models(models_json)

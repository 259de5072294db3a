"""A lost lock, rebuilt from the packages it was written with.

The packages in the out directory hold what learners have: every note's GUID, id, mod and
card ids, every note type's id, mod and schema, and which notes were shipped retired. The
changelog beside them holds each deck's version history. From these the lock is what it
was, so a build after `rm cardgen.lock.json` updates nothing a learner has not seen change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cardgen import identity, unpack, upgrade
from cardgen.errors import OutputError
from cardgen.lock import Change, DeckEntry, Lock, Note, NoteType, Retired, Schema
from cardgen.patterns import Registry
from cardgen.records import NoteSpec, Source

MAX_VERSION = 99  # note type versions searched for a package's note type id


def _pattern_of(model_id: int, namespace: str, patterns: Registry) -> tuple[str, int] | None:
    for pattern in patterns.values():
        for version in range(1, MAX_VERSION + 1):
            if identity.model_id(pattern.key, pattern.model_id, version, namespace) == model_id:
                return pattern.key, version
    return None


def _history(text: str) -> dict[str, DeckEntry]:
    """Each deck's versions from CHANGELOG.md, as `upgrade.changelog_markdown` writes it."""
    decks: dict[str, list[Change]] = {}
    deck: str | None = None
    for block in re.split(r"\n(?=## |### )", text):
        head, _, body = block.partition("\n")
        if m := re.fullmatch(r"## .* \(`(.+)\.apkg`\)", head):
            deck = m.group(1)
            decks[deck] = []
        elif (m := re.fullmatch(r"### Version (\d+), (\d{4}-\d{2}-\d{2})", head)) and deck is not None:
            items = [line[2:] for line in body.splitlines() if line.startswith("- ")]
            if items:
                decks[deck].append(Change(int(m.group(1)), m.group(2), items[0], tuple(items[1:])))
    return {d: DeckEntry(changes[0].version, tuple(reversed(changes))) for d, changes in decks.items() if changes}


def recover(source: Source, specs: list[NoteSpec], out: Path, namespace: str) -> tuple[Lock, str]:
    """The lock the packages in `out` were built with, and a line saying what was found."""
    by_guid = {identity.note_guid(s.pattern, s.key, namespace): f"{s.pattern}:{s.key}" for s in specs}
    try:
        history = _history((out / upgrade.CHANGELOG_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        history = {}
    types: dict[str, NoteType] = {}
    notes: dict[str, Note] = {}
    retired: dict[str, Retired] = {}
    decks: dict[str, DeckEntry] = {}
    for deck in source.decks:
        path = out / f"{deck.id}.apkg"
        try:
            held = unpack.contents(path.read_bytes())
        except FileNotFoundError:
            continue
        except Exception as exc:  # a damaged package cannot be recovered from
            raise OutputError(f"{path}: cannot be read to recover the lock ({exc}); restore it from version control") from None
        known = _types(held["models"], types, namespace, source.patterns)
        cards: dict[int, dict[int, int]] = {}
        for card_id, note_id, _deck, ordinal, _mod in held["cards"]:
            cards.setdefault(note_id, {})[ordinal] = card_id
        entry = history.get(deck.id) or DeckEntry(_version(held["decks"]))
        decks[deck.id] = entry
        root = f"{deck.tag}::retired"
        for guid, note_id, model_id, mod, tags, flds in held["notes"]:
            fields, tag_list = flds.split("\x1f"), tags.split()
            key = by_guid.get(guid)
            guid_field = ""
            if key is None:  # its fact is gone from the source: keyed by GUID, to be retired
                key, guid_field = f"{known.get(model_id, 'unknown')}:{guid}", guid
            note = Note(note_id, identity.content_hash(fields, tag_list), mod, cards.get(note_id, {}), guid_field)
            if root in tag_list:
                when = re.search(r"Retired on (\d{4}-\d{2}-\d{2})", flds)
                retired[key] = Retired(
                    note.id,
                    note.hash,
                    note.mod,
                    note.cards,
                    note.guid,
                    deck=deck.id,
                    retired=when.group(1) if when else entry.changelog[-1].date if entry.changelog else "1970-01-01",
                    version=entry.version,
                )
            else:
                notes[key] = note
    lock = Lock(namespace=namespace, note_types=types, notes=notes, retired=retired, decks=decks)
    said = (
        f"recovered {len(notes)} notes, {len(retired)} retired notes and {len(types)} note types from the packages in {out}/"
        + (
            f", and each deck's versions from {upgrade.CHANGELOG_NAME}"
            if history
            else f" ({upgrade.CHANGELOG_NAME} missing: version history starts again)"
        )
        + ". Notes retired in earlier versions, and note types no package holds now, are in no package: a retired fact "
        "that comes back gets a new note, and a note type that comes back is checked for schema changes against its pattern only"
    )
    return lock, said


def _types(models: dict[int, dict[str, Any]], types: dict[str, NoteType], namespace: str, patterns: Registry) -> dict[int, str]:
    """File each cardgen note type of a package; the pattern of each model id."""
    known = {}
    for model_id, m in models.items():
        found = _pattern_of(model_id, namespace, patterns)
        if found is None:
            continue
        pattern, version = found
        known[model_id] = pattern
        content = {k: m[k] for k in ("name", "type", "css", "fields", "templates")}
        digest = identity.content_hash([json.dumps(content, sort_keys=True)])
        schema = Schema(tuple(f[1] for f in m["fields"]), tuple(t[1] for t in m["templates"]))
        if pattern not in types or types[pattern].version < version:
            types[pattern] = NoteType(model_id, digest, m["mod"], version, schema)
    return known


def _version(decks: list[tuple[str, str]]) -> int:
    """A deck's version from its description, when the changelog is gone."""
    for _name, description in decks:
        if m := re.search(r"<b>Version (\d+)</b>", description):
            return int(m.group(1))
    return 0

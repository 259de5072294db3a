"""The lock file, `cardgen.lock.json`: every identity cardgen has shipped, typed and written
here only (`lockcheck` reads it back).

A learner's collection knows each note by GUID, id and mod, each card by id, and each note
type by id and schema. The lock remembers them all, so that the next build ships the same
identities and moves a mod only when content changes. Losing or damaging it would cost
learners their edits, so reading it checks every entry (`lockcheck`).

The committed form is sorted with one entry per line, so a diff shows what changed and a
merge conflict between two branches that both added facts is resolved by keeping both
sides' lines. Ids the two branches both allocated are then found here (`collisions`) and
given new ones by the plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any, Iterable, Mapping

NAME = "cardgen.lock.json"
FORMAT = 1
SECTIONS = ("note_types", "notes", "retired", "decks")
NAMESPACE = r"[a-z0-9][a-z0-9-]{2,39}"  # the source's `namespace:` (its schema uses this pattern)
MAX_ID = 2**53 - 1  # ids and mods stay exact in JavaScript, where Anki's clients read them too


@dataclass(frozen=True, slots=True)  # one for every note: slots, not a dict each, are quicker to make
class Note:
    """A note as learners have it: id, its cards' ids by ordinal, content hash and mod."""

    id: int
    hash: str
    mod: int
    cards: Mapping[int, int] = field(default_factory=dict)
    guid: str = ""  # only for a note recovered from a package whose fact the source no longer has

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.id, "hash": self.hash, "mod": self.mod, "cards": {str(o): c for o, c in sorted(self.cards.items())}}
        return {**data, "guid": self.guid} if self.guid else data


@dataclass(frozen=True, slots=True)
class Retired(Note):
    """A note the source no longer makes, shipped tagged in the deck version that retired it."""

    deck: str = ""
    retired: str = ""  # the date it was retired, YYYY-MM-DD
    version: int | None = None  # the deck version that shipped it retired; None: never shipped so

    def to_json(self) -> dict[str, Any]:
        data = {**Note.to_json(self), "deck": self.deck, "retired": self.retired}  # super() fails in a slots class
        return data if self.version is None else {**data, "version": self.version}


@dataclass(frozen=True)
class Schema:
    """What Anki compares to decide a note type is the same: its fields' and card types' ids."""

    fields: tuple[int, ...]
    templates: tuple[int, ...]

    def to_json(self) -> dict[str, list[int]]:
        return {"fields": list(self.fields), "templates": list(self.templates)}


@dataclass(frozen=True)
class NoteType:
    id: int
    hash: str
    mod: int
    version: int
    schema: Schema

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "hash": self.hash, "mod": self.mod, "version": self.version, "schema": self.schema.to_json()}


@dataclass(frozen=True)
class Change:
    """One changelog entry of a deck."""

    version: int
    date: str
    notes: str
    note_types: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "date": self.date, "notes": self.notes, "note_types": list(self.note_types)}


@dataclass(frozen=True)
class DeckEntry:
    version: int = 0
    changelog: tuple[Change, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "changelog": [c.to_json() for c in self.changelog]}


@dataclass(frozen=True)
class Collision:
    """An id two lock entries share (two branches allocated it): the later key gets a new one."""

    key: str  # the entry that gives the id up
    kept_by: str  # the entry that keeps it
    id: int
    card: bool  # a card's id, else the note's


@dataclass(frozen=True)
class Lock:
    namespace: str | None = None  # None: a lock from before namespaces, whose decks use the legacy one
    note_types: Mapping[str, NoteType] = field(default_factory=dict)
    notes: Mapping[str, Note] = field(default_factory=dict)
    retired: Mapping[str, Retired] = field(default_factory=dict)
    decks: Mapping[str, DeckEntry] = field(default_factory=dict)

    def dump(self) -> bytes:
        """The lock as committed: sorted, one entry per line."""
        blocks = [_block(section, getattr(self, section)) for section in SECTIONS]
        namespace = f' "namespace": {json.dumps(self.namespace)},\n' if self.namespace else ""
        return ("{\n" + f' "format": {FORMAT},\n' + namespace + ",\n".join(blocks) + "\n}\n").encode()

    def collisions(self) -> list[Collision]:
        """Note and card ids held by more than one entry, each after its first holder in key order."""
        found = []
        held = sorted({**self.retired, **self.notes}.items())  # a live note's entry over a retired one of its key
        for kind in ("note", "card"):
            holder: dict[int, str] = {}
            for key, entry in held:
                for i in [entry.id] if kind == "note" else entry.cards.values():
                    if i in holder and holder[i] != key:
                        found.append(Collision(key, holder[i], i, kind == "card"))
                    holder.setdefault(i, key)
        return found

    def latest_mod(self) -> tuple[str, int] | None:
        """The entry with the newest mod, and that mod."""
        mods = [(e.mod, k) for section in (self.note_types, self.notes, self.retired) for k, e in section.items()]
        if not mods:
            return None
        mod, key = max(mods)
        return key, mod


def _block(section: str, entries: Mapping[str, Any]) -> str:
    body = ",\n".join(f"  {_quoted(k)}: {_entry_json(entries[k])}" for k in sorted(entries))
    return f' "{section}": {{\n{body}\n }}' if body else f' "{section}": {{}}'


def _note_lines(text: str, keys: Iterable[str]) -> dict[str, tuple[int, int]] | None:
    """Where each key's line of the notes section stands in a lock `dump` wrote: (start, end)
    without its comma; None if one is not there. Sorted, the notes of a pattern are one run
    of lines: only the runs of the keys' patterns are read."""
    start = text.find('\n "notes": {\n')
    end = text.find("\n }", start + 1)
    wanted = {_quoted(key): key for key in keys}
    found = {}
    for pattern in {key.split(":", 1)[0] for key in wanted.values()}:
        run = f'\n  "{pattern}:'
        at = text.find(run, start, end) if start >= 0 else -1
        while at >= 0 and text.startswith(run, at):  # `at` is the newline before a line `  "key": {...},`
            stop = text.find("\n", at + 1)
            key = wanted.get(text[at + 3 : text.find('": ', at) + 1])  # the key as quoted, from its opening quote to its closing one
            if key is not None:
                found[key] = (at + 1, stop - (text[stop - 1] == ","))
            at = stop
    return found if len(found) == len(wanted) else None


def excerpt(text: str, keys: Iterable[str]) -> str | None:
    """The lock `dump` wrote as `text`, with only these keys' lines in its notes section: for
    an edit's build (`edit`) to read what it changes without reading every note."""
    lines = _note_lines(text, keys)
    if lines is None:
        return None
    start = text.find('\n "notes": {\n')
    if start < 0:  # no notes at all: nothing to leave out
        return text
    end = text.find("\n }", start + 1)
    body = ",\n".join(text[a:b] for a, b in sorted(lines.values()))
    return text[:start] + ('\n "notes": {\n' + body if body else '\n "notes": {') + text[end:]


def patched(text: str, notes: Mapping[str, Note], decks: Mapping[str, DeckEntry]) -> bytes | None:
    """What `dump` writes of the lock it wrote as `text` with these notes (of keys it holds)
    and these decks in place of its own; None if a key is not there. The decks are the last
    section `dump` writes, so they are written anew from their key to the end."""
    lines = _note_lines(text, notes)
    at = text.rfind('\n "decks": ')
    if lines is None or at < 0:
        return None
    parts, done = [], 0
    for key, (a, b) in sorted(lines.items(), key=lambda item: item[1]):
        parts += [text[done:a], f"  {_quoted(key)}: {_entry_json(notes[key])}"]
        done = b
    return ("".join(parts) + text[done : at + 1] + _block("decks", decks) + "\n}\n").encode()


# json.dumps(text) (its defaults: ASCII, JSON's escapes) without the handling of json.dumps's
# options on every call, which was most of the time of writing a key or a hash.
_quoted = encode_basestring_ascii


def _entry_json(entry: Note | NoteType | DeckEntry) -> str:
    """json.dumps(entry.to_json(), sort_keys=True): a live note's, most of a lock, written out here at twice the speed."""
    if type(entry) is not Note:  # a retired note has more keys
        return json.dumps(entry.to_json(), sort_keys=True)
    # Ordinals sort as text ("10" before "2"); each item sorts as its ordinal does, the '"' after
    # it sorting before any digit, so the items are sorted as they are written.
    cards = ", ".join(sorted([f'"{o}": {c}' for o, c in entry.cards.items()]))
    guid = f', "guid": {_quoted(entry.guid)}' if entry.guid else ""
    return f'{{"cards": {{{cards}}}{guid}, "hash": {_quoted(entry.hash)}, "id": {entry.id}, "mod": {entry.mod}}}'

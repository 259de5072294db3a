"""The lock file, `cardgen.lock.json`: every identity cardgen has shipped, typed, read and
written here only.

A learner's collection knows each note by GUID, id and mod, each card by id, and each note
type by id and schema. The lock remembers them all, so that the next build ships the same
identities and moves a mod only when content changes. Losing or damaging it would cost
learners their edits, so reading it checks every entry and reports each problem at its
line with what to do, all at once; nothing is guessed.

The committed form is sorted with one entry per line, so a diff shows what changed and a
merge conflict between two branches that both added facts is resolved by keeping both
sides' lines. Ids the two branches both allocated are then found here (`collisions`) and
given new ones by the plan.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, SupportsInt, TypeVar

from cardgen.errors import Problem, SourceError
from cardgen.keylines import At, Lines

NAME = "cardgen.lock.json"
FORMAT = 1
SECTIONS = ("note_types", "notes", "retired", "decks")
MAX_BYTES = 64 * 1024 * 1024  # about 150 bytes a note: room for some 400,000 notes, far past any real deck
NAMESPACE = r"[a-z0-9][a-z0-9-]{2,39}"  # the source's `namespace:` (its schema uses this pattern)
TEXT = (r".+", "text")  # a value's pattern, and what a message says was expected
HASH = (r"[0-9a-f]{32}", "a content hash of 32 hex digits")
DATE = (r"\d{4}-\d{2}-\d{2}", "a date YYYY-MM-DD")
MAX_ID = 2**53 - 1  # ids and mods stay exact in JavaScript, where Anki's clients read them too

FIX = "restore it from version control (git checkout -- {path}), or mend that line"


class LockError(SourceError):
    """The lock cannot be trusted as it is: each problem at its line, with what to do."""


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
        blocks = []
        for section in SECTIONS:
            entries: Mapping[str, Any] = getattr(self, section)
            body = ",\n".join(f"  {_quoted(k)}: {_entry_json(entries[k])}" for k in sorted(entries))
            blocks.append(f' "{section}": {{\n{body}\n }}' if body else f' "{section}": {{}}')
        namespace = f' "namespace": {json.dumps(self.namespace)},\n' if self.namespace else ""
        return ("{\n" + f' "format": {FORMAT},\n' + namespace + ",\n".join(blocks) + "\n}\n").encode()

    def collisions(self) -> list[Collision]:
        """Note and card ids held by more than one entry, each after its first holder in key order."""
        found = []
        for kind in ("note", "card"):
            holder: dict[int, str] = {}
            for key in sorted({**self.retired, **self.notes}):
                entry = self.notes.get(key) or self.retired[key]
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


def read(out: Path) -> Lock | None:
    """The lock in `out`, or None when there is none."""
    path = out / NAME
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise LockError([Problem(str(path), 0, 0, "the lock is a directory, not a file; move it away")]) from None
    except OSError as exc:
        raise LockError([Problem(str(path), 0, 0, f"the lock cannot be read ({exc.strerror})")]) from None
    if len(raw) > MAX_BYTES:
        too_big = f"the lock is over {MAX_BYTES >> 20} MiB, far larger than any lock cardgen writes; {FIX.format(path=path)}"
        raise LockError([Problem(str(path), 0, 0, too_big)])
    return parse(raw, path)


_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})( |$)")


def parse(raw: bytes, path: Path) -> Lock:
    """Check and type every entry; all problems at once, each at its line."""
    fix = FIX.format(path=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LockError([Problem(str(path), line, 0, f"the lock is not UTF-8 text (byte {exc.start}); {fix}")]) from None
    conflicts = [n for n, line in enumerate(text.splitlines(), 1) if _CONFLICT.match(line)]
    if conflicts:
        raise LockError(
            [
                Problem(
                    str(path),
                    n,
                    1,
                    "an unresolved merge conflict; each entry is one line, so keep the lines of both sides "
                    "(and one of any key both sides changed), delete the markers, and build: ids both branches "
                    "allocated are given new ones",
                )
                for n in conflicts
            ]
        )
    duplicates: list[tuple[str, int]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) < len(items):  # only then count: a lock has tens of thousands of objects
            duplicates.extend((k, n) for k, n in Counter(k for k, _ in items).items() if n > 1)
        return result

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise LockError([Problem(str(path), exc.lineno, exc.colno, f"the lock is not valid JSON ({exc.msg}); {fix}")]) from None
    lines = Lines(text)
    problems = [
        Problem(str(path), lines.of(key), 0, f"the key {json.dumps(key)} appears {n} times; keep one of its lines") for key, n in duplicates
    ]
    checker = _Checker(path, lines, problems)
    lock = checker.lock(data)
    if problems:
        raise LockError(sorted(problems, key=lambda p: (p.line, p.column)))
    assert lock is not None
    return lock


T = TypeVar("T")


class _Checker:
    def __init__(self, path: Path, lines: Lines, problems: list[Problem]) -> None:
        self.path, self.lines, self.problems = path, lines, problems
        self.fix = FIX.format(path=path)

    def fail(self, line: SupportsInt, where: str, message: str) -> None:
        self.problems.append(Problem(str(self.path), int(line), 0, f"{where} {message}; {self.fix}"))

    def lock(self, data: Any) -> Lock | None:
        if not isinstance(data, dict):
            self.fail(1, "the lock", f"is {_kind(data)}, expected an object with {', '.join(SECTIONS)}")
            return None
        if "format" not in data:
            self.fail(1, "the lock", f'has no "format"; expected "format": {FORMAT}')
        elif type(data["format"]) is not int or data["format"] != FORMAT:
            self.fail(
                self.lines.of("format"), '"format"', f"is {json.dumps(data['format'])}; this cardgen reads format {FORMAT} (the number)"
            )
        namespace = data.get("namespace")
        if namespace is not None and not (isinstance(namespace, str) and re.fullmatch(NAMESPACE, namespace)):
            self.fail(self.lines.of("namespace"), '"namespace"', f"is {json.dumps(namespace)}, expected the source's namespace")
            namespace = None
        for key in sorted(set(data) - {"format", "namespace", *SECTIONS}):
            self.fail(self.lines.of(key), f'"{key}"', f"is not part of a lock (it holds {', '.join(SECTIONS)})")
        return Lock(
            namespace=namespace,
            note_types=self.section(data, "note_types", self.note_type),
            notes=self.section(data, "notes", self.note),
            retired=self.section(data, "retired", self.retired),
            decks=self.section(data, "decks", self.deck),
        )

    def section(self, data: dict[str, Any], name: str, make: Callable[[Any, str, SupportsInt], T | None]) -> dict[str, T]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(self.lines.of(name), f'"{name}"', f"is {_kind(value)}, expected an object of entries")
            return {}
        checked = {}
        for key, entry in value.items():
            made = make(entry, f"{name}.{json.dumps(key)}", At(self.lines, key, name))
            if made is not None:
                checked[key] = made
        return checked

    def fields(self, entry: Any, where: str, line: SupportsInt, required: Iterable[str], optional: Iterable[str] = ()) -> bool:
        if not isinstance(entry, dict):
            self.fail(line, where, f"is {_kind(entry)}, expected an object")
            return False
        missing = [k for k in required if k not in entry]
        unknown = sorted(set(entry) - set(required) - set(optional))
        if missing:
            self.fail(line, where, f"has no {', '.join(missing)}")
        if unknown:
            self.fail(line, where, f"has {', '.join(unknown)}, which a lock entry does not hold")
        return not missing and not unknown

    def number(self, value: Any, where: str, line: SupportsInt, low: int = 1) -> int:
        if type(value) is not int:
            shown = json.dumps(value)
            hint = f" ({int(value)}, not {shown})" if type(value) is float and value.is_integer() else ""
            self.fail(line, where, f"is {shown}, expected a whole number{hint}")
            return low
        if not low <= value <= MAX_ID:
            self.fail(line, where, f"is {value}, expected {low} to {MAX_ID}")
            return low
        return value

    def string(self, value: Any, where: str, line: SupportsInt, shape: tuple[str, str] = TEXT) -> str:
        pattern, expected = shape
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            self.fail(line, where, f"is {json.dumps(value)}, expected {expected}")
            return ""
        return value

    def cards(self, value: Any, where: str, line: SupportsInt) -> dict[int, int]:
        if not isinstance(value, dict):
            self.fail(line, f"{where}.cards", f"is {_kind(value)}, expected an object of card ids by ordinal")
            return {}
        cards = {}
        for ordinal, card_id in value.items():
            if not ordinal.isdigit() or len(ordinal) > 3:
                self.fail(line, f"{where}.cards", f"has the ordinal {json.dumps(ordinal)}, expected 0, 1, 2, ...")
                continue
            cards[int(ordinal)] = self.number(card_id, f"{where}.cards.{ordinal}", line)
        return cards

    def note(self, entry: Any, where: str, line: SupportsInt) -> Note | None:
        if not self.fields(entry, where, line, ("id", "hash", "mod", "cards"), ("guid",)):
            return None
        return Note(
            self.number(entry["id"], f"{where}.id", line),
            self.string(entry["hash"], f"{where}.hash", line, HASH),
            self.number(entry["mod"], f"{where}.mod", line),
            self.cards(entry["cards"], where, line),
            self.string(entry["guid"], f"{where}.guid", line) if "guid" in entry else "",
        )

    def retired(self, entry: Any, where: str, line: SupportsInt) -> Retired | None:
        if not self.fields(entry, where, line, ("id", "hash", "mod", "cards", "deck", "retired"), ("version", "guid")):
            return None
        note = self.note({k: entry[k] for k in ("id", "hash", "mod", "cards", "guid") if k in entry}, where, line)
        if note is None:
            return None
        version = entry.get("version")
        return Retired(
            note.id,
            note.hash,
            note.mod,
            note.cards,
            note.guid,
            deck=self.string(entry["deck"], f"{where}.deck", line),
            retired=self.string(entry["retired"], f"{where}.retired", line, DATE),
            version=None if version is None else self.number(version, f"{where}.version", line),
        )

    def note_type(self, entry: Any, where: str, line: SupportsInt) -> NoteType | None:
        if not self.fields(entry, where, line, ("id", "hash", "mod", "version", "schema")):
            return None
        schema = entry["schema"]
        ids: dict[str, tuple[int, ...]] = {}
        if not isinstance(schema, dict) or set(schema) != {"fields", "templates"}:
            self.fail(line, f"{where}.schema", 'expected {"fields": [ids], "templates": [ids]}')
        else:
            for part in ("fields", "templates"):
                values = schema[part] if isinstance(schema[part], list) else []
                if not isinstance(schema[part], list):
                    self.fail(line, f"{where}.schema.{part}", f"is {_kind(schema[part])}, expected a list of ids")
                ids[part] = tuple(self.number(v, f"{where}.schema.{part}", line) for v in values)
        return NoteType(
            self.number(entry["id"], f"{where}.id", line),
            self.string(entry["hash"], f"{where}.hash", line, HASH),
            self.number(entry["mod"], f"{where}.mod", line),
            self.number(entry["version"], f"{where}.version", line),
            Schema(ids.get("fields", ()), ids.get("templates", ())),
        )

    def deck(self, entry: Any, where: str, line: SupportsInt) -> DeckEntry | None:
        if not self.fields(entry, where, line, ("version", "changelog")):
            return None
        changes = entry["changelog"] if isinstance(entry["changelog"], list) else []
        if not isinstance(entry["changelog"], list):
            self.fail(line, f"{where}.changelog", f"is {_kind(entry['changelog'])}, expected a list")
        made = []
        for n, change in enumerate(changes):
            at = f"{where}.changelog[{n}]"
            if self.fields(change, at, line, ("version", "date", "notes", "note_types")):
                kinds = change["note_types"] if isinstance(change["note_types"], list) else []
                if not isinstance(change["note_types"], list):
                    self.fail(line, f"{at}.note_types", f"is {_kind(change['note_types'])}, expected a list")
                made.append(
                    Change(
                        self.number(change["version"], f"{at}.version", line),
                        self.string(change["date"], f"{at}.date", line, DATE),
                        self.string(change["notes"], f"{at}.notes", line),
                        tuple(self.string(k, f"{at}.note_types", line) for k in kinds),
                    )
                )
        return DeckEntry(self.number(entry["version"], f"{where}.version", line, low=0), tuple(made))


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(type(value), "a number")

"""Reading the lock back: every entry checked and typed, each problem reported at its line
with what to do, all at once; nothing is guessed. Losing or damaging the lock would cost
learners their edits, so a lock that cannot be trusted as it is stops the build.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, SupportsInt, TypeVar

from cardgen.errors import Problem, SourceError
from cardgen.keylines import At, Lines
from cardgen.lock import FORMAT, MAX_ID, NAME, NAMESPACE, SECTIONS, Change, DeckEntry, Lock, Note, NoteType, Retired, Schema

MAX_BYTES = 64 * 1024 * 1024  # about 150 bytes a note: room for some 400,000 notes, far past any real deck
TEXT = (r".+", "text")  # a value's pattern, and what a message says was expected
HASH = (r"[0-9a-f]{32}", "a content hash of 32 hex digits")
DATE = (r"\d{4}-\d{2}-\d{2}", "a date YYYY-MM-DD")

FIX = "restore it from version control (git checkout -- {path}), or mend that line"


class LockError(SourceError):
    """The lock cannot be trusted as it is: each problem at its line, with what to do."""


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
        raise LockError(problems)  # a SourceError: it puts them in order of place
    assert lock is not None
    return lock


T = TypeVar("T")
_NOTE_KEYS = {"id", "hash", "mod", "cards"}
_HASH = re.compile(HASH[0])


def _plain_note(entry: Any) -> Note | None:
    """A live note's entry as cardgen writes it (most of a lock), made without the checker's
    bookkeeping; None for anything else, which the checker then reads and names what is wrong.
    Takes only what `_Checker.note` takes without a problem, and makes the same note."""
    if type(entry) is not dict or entry.keys() != _NOTE_KEYS:
        return None
    note_id, content, mod, cards = entry["id"], entry["hash"], entry["mod"], entry["cards"]
    if not (
        type(note_id) is int
        and type(mod) is int
        and 1 <= note_id <= MAX_ID
        and 1 <= mod <= MAX_ID
        and type(content) is str
        and _HASH.fullmatch(content)
        and type(cards) is dict
    ):
        return None
    made = {}
    for ordinal, card_id in cards.items():
        if not (type(card_id) is int and 1 <= card_id <= MAX_ID and _ordinal(ordinal)):
            return None
        made[int(ordinal)] = card_id
    return Note(note_id, content, mod, made)


def _ordinal(text: str) -> bool:
    """An ordinal as cardgen writes it: 0 to 999 in ASCII digits, no leading zero. "01" beside
    "1" would read as the same card and one id would be lost; str.isdigit() also says yes to
    "²", which int() refuses."""
    return len(text) <= 3 and text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")


def _none(entry: Any) -> None:
    return None


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
            notes=self.section(data, "notes", self.note, _plain_note),
            retired=self.section(data, "retired", self.retired),
            decks=self.section(data, "decks", self.deck),
        )

    def section(
        self, data: dict[str, Any], name: str, make: Callable[[Any, str, SupportsInt], T | None], quick: Callable[[Any], T | None] = _none
    ) -> dict[str, T]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(self.lines.of(name), f'"{name}"', f"is {_kind(value)}, expected an object of entries")
            return {}
        checked = {}
        for key, entry in value.items():
            made = quick(entry) or make(entry, f"{name}.{json.dumps(key)}", At(self.lines, key, name))
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
            if not _ordinal(ordinal):
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

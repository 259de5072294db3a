"""Anki identity, in one place: every id, GUID and mod cardgen writes, and the lock file.

What the engine matches on (../shared/anki-engine-facts.md):
- notes by GUID: derived here from the pattern and the fact's id, never from field text,
  so a corrected typo updates the learner's note instead of adding a new one;
- note types by id, and their fields and card types by id: fixed here, so a renamed field
  or template propagates in place instead of forking a "Name+" note type;
- an update only when the incoming mod is strictly newer: the lock records each note's and
  note type's content hash and mod, and a mod moves (forward, never to 0 or the future)
  only when that content changes, so a rebuild of the same source writes the same bytes
  and never overwrites a learner's own edit of an unchanged note.

This module is the only one that reads the clock, and nothing here waits for it: new ids
are the unused ones just below the build's time, and a time that cannot be honoured (a
lock from a clock that ran fast, SOURCE_DATE_EPOCH in the future) is an error naming it.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from itertools import filterfalse, islice
from types import MappingProxyType
from typing import Mapping, NamedTuple, Sequence

from cardgen import lock as lockfile
from cardgen.errors import CardgenError
from cardgen.lock import Collision, Lock, Note, NoteType, Schema


def _hash_id(*parts: str) -> int:
    """A stable positive 53-bit id (safe in JavaScript too) from names that never change."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 11 or 1


LEGACY = "cardgen"  # the namespace of every deck shipped before projects declared their own


def model_id(pattern: str, published: int, version: int = 1, namespace: str = LEGACY) -> int:
    """A project's note type for a pattern: its own id, so two projects' note types never meet.

    `published` is the id the pattern declares, which decks of the legacy namespace shipped;
    a project's own namespace derives one from it. A declared new version is a new note
    type, for good.
    """
    base = published if namespace == LEGACY else _hash_id("cardgen-model", namespace, pattern)
    if version == 1:
        return base
    return _hash_id("cardgen-model", str(base), str(version))


def field_id(published: int, key: str) -> int:
    """A field's id, from its pattern's declared note type id and the field's key."""
    return _hash_id("cardgen-field", str(published), key)


def template_id(published: int, key: str) -> int:
    """A card type's id, from its pattern's declared note type id and the card type's key."""
    return _hash_id("cardgen-template", str(published), key)


def deck_id(name: str) -> int:
    """Anki matches decks by name and ignores this id; it only has to be stable and not 1."""
    return _hash_id("cardgen-deck", name) | (1 << 40)


_BASE91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"


def note_guid(pattern: str, key: str, namespace: str = LEGACY) -> str:
    """A note's identity: the project's namespace, the pattern and the fact's key, never text.

    Computed as genanki's `guid_for` does (the first 8 bytes of a SHA-256, in Anki's base 91),
    which every shipped note used; a test pins the two together and to known values.
    """
    return base91(int.from_bytes(hashlib.sha256(f"{namespace}__{pattern}__{key}".encode()).digest()[:8], "big"))


_PAIRS = [high + low for high in _BASE91 for low in _BASE91]  # two digits at once: half the divisions


def base91(number: int) -> str:
    """`number` in Anki's base 91, most significant digit first, no leading zero ('' for 0)."""
    pairs = []
    while number >= 91 * 91:
        number, pair = divmod(number, 91 * 91)
        pairs.append(_PAIRS[pair])
    head = _PAIRS[number] if number >= 91 else _BASE91[number] if number else ""
    return head + "".join(reversed(pairs))


def content_hash(fields: Sequence[str], tags: Sequence[str] = (), where: str = "") -> str:
    """What the lock compares to decide a mod moves: a note's fields and tags.

    Not its subdeck: Anki never moves a learner's cards on import, so a renamed deck or topic
    must not touch the note (its mod would overwrite the learner's own edits for nothing).
    Locks written before this kept the subdeck in `where`; that hash still counts as unchanged.
    Field text never holds \x1f (validation refuses it), so the joined form is unambiguous.
    """
    data = "\x1e".join(("\x1f".join(fields), " ".join(tags), where))  # one string made, not three
    return hashlib.sha256(data.encode()).hexdigest()[:32]


EARLIEST = 946_684_800  # 2000-01-01: no cardgen lock or Anki collection predates it
SLACK = 2  # seconds a mod may pass the build's clock: a note changed twice within one second


class Clock:
    """Build time in seconds: SOURCE_DATE_EPOCH when set (reproducible builds), else now.

    `real` is the wall clock that nothing stamped may pass; tests pass both in.
    """

    def __init__(self, now: int | None = None, real: int | None = None) -> None:
        self.real = int(time.time()) if real is None else real
        if now is None:
            now = _source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH", ""), self.real)
        self.fixed = now

    def now(self) -> int:
        return self.fixed if self.fixed is not None else self.real

    def today(self) -> str:
        """The build's date (UTC), for a deck's changelog."""
        return time.strftime("%Y-%m-%d", time.gmtime(self.now()))


def _when(seconds: int) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        return f"{seconds} s"


def _source_date_epoch(value: str, real: int) -> int | None:
    if not value.strip():
        return None
    where = f"SOURCE_DATE_EPOCH={value.strip()[:30]!r}"
    if not value.strip().isdigit():
        raise CardgenError(f"{where} is not a whole number of seconds since 1970; set it to one (git log -1 --format=%ct) or unset it")
    seconds = int(value)
    if seconds < EARLIEST:
        raise CardgenError(
            f"{where} is before 2000; a mod that old (0 above all) breaks Anki's Check Database; set it to the time of your last commit (git log -1 --format=%ct) or unset it"
        )
    if seconds > real:
        raise CardgenError(
            f"{where} ({_when(seconds)}) is later than this machine's clock ({_when(real)}); notes stamped in the future "
            "would overwrite learners' own edits until then; set it to a past time (git log -1 --format=%ct) or unset it"
        )
    return seconds


class Wanted(NamedTuple):  # one for every note: a named tuple is made in a third of a frozen dataclass's time
    """What the build wants to write for one note or note type, before identity is settled."""

    key: str  # the lock key: `<pattern>:<note key>`, or the pattern for a note type
    hash: str
    ords: tuple[int, ...] = ()  # the card ordinals genanki generates for the note
    also: tuple[str, ...] = ()  # hashes an older cardgen wrote for the same content
    new_id: int | None = None  # a note type's id; notes get fresh ones
    version: int = 1  # a note type's
    schema: Schema = Schema((), ())  # a note type's


class Assigned(NamedTuple):  # one for every note, as Wanted
    id: int
    mod: int
    card_ids: Mapping[int, int] = MappingProxyType({})


@dataclass(frozen=True)
class Plan:
    notes: Mapping[str, Assigned]
    models: Mapping[str, Assigned]
    lock: Lock  # the notes given, every note type ever shipped; the caller files retirements and decks
    status: Mapping[str, str]  # lock key -> "added", "updated" or "unchanged"; notes and note types
    reallocated: tuple[Collision, ...] = ()  # ids two lock entries shared, given up by the later key


class FutureError(CardgenError):
    """A time in the lock or the build that would stamp learners' notes in the future."""


def _check_future(lock: Lock, clock: Clock) -> None:
    latest = lock.latest_mod()
    if latest is not None and latest[1] > clock.real + SLACK:
        key, mod = latest
        raise FutureError(
            f"{lockfile.NAME}: '{key}' has mod {mod} ({_when(mod)}), later than this machine's clock ({_when(clock.real)}). "
            "The build that wrote it ran with a clock ahead of time; a rebuild now would stamp notes in the future, and "
            "learners' own edits made before then would be overwritten on every import. Set this machine's clock right, "
            "or restore the lock from before that build; cardgen does not wait for the clock"
        )


def _fresh_ids(count: int, below: int, used: set[int]) -> list[int]:
    """`count` ids not in `used`, the highest ones under `below`, ascending: never in the future."""
    found = list(islice(filterfalse(used.__contains__, range(below - 1, 0, -1)), count))  # a loop in C: one id a card
    if len(found) < count:
        raise FutureError(f"no {count} unused ids are left below {below}; the lock's ids are exhausted")
    return found[::-1]


def plan(lock: Lock, notes: list[Wanted], models: list[Wanted], clock: Clock) -> Plan:
    """Settle every note's and note type's id, card ids and mod against the lock.

    Kept: the id and mod of an unchanged note, the id of a changed one (its mod moves
    strictly past the old), and a note's card ids by ordinal. A retired note that comes
    back takes up its old id and cards again. New note and card ids are milliseconds like
    Anki's own, the unused ones just below the build's time. An id two entries share (two
    branches each allocated it) stays with the first key and is new for the other.
    """
    _check_future(lock, clock)
    now = clock.now()
    collisions = tuple(lock.collisions())
    lost_notes = {c.key for c in collisions if not c.card}
    lost_cards = {(c.key, c.id) for c in collisions if c.card}
    locked: dict[str, Note] = {**lock.retired, **lock.notes}
    kept: list[tuple[Note | None, int | None, dict[int, int]]] = []  # by note: its entry, and what of it stays
    needed = 0
    for w in notes:
        old = locked.get(w.key)
        note_id = None if old is None or w.key in lost_notes else old.id
        cards = {o: c for o, c in old.cards.items() if o in w.ords and (w.key, c) not in lost_cards} if old is not None else {}
        kept.append((old, note_id, cards))
        needed += (note_id is None) + len(w.ords) - len(cards)  # a note's ordinals are distinct
    used = {i for e in locked.values() for i in (e.id, *e.cards.values())}
    fresh = iter(_fresh_ids(needed, now * 1000, used))

    assigned: dict[str, Assigned] = {}
    entries: dict[str, Note] = {}
    status: dict[str, str] = {}
    for w, (old, note_id, cards) in zip(notes, kept):
        mod, status[w.key] = _mod(old, w, now)
        note_id = next(fresh) if note_id is None else note_id
        cards = {o: cards[o] if o in cards else next(fresh) for o in sorted(w.ords)}  # new ids ascend with the ordinal
        assigned[w.key] = Assigned(note_id, mod, cards)
        entries[w.key] = Note(note_id, w.hash, mod, cards, old.guid if old else "")

    types: dict[str, NoteType] = dict(lock.note_types)  # every note type ever shipped stays
    for w in models:
        assert w.new_id is not None
        old_type = lock.note_types.get(w.key)
        if old_type is not None and old_type.id != w.new_id:
            old_type = None  # a note type's new version is a new note type
        mod, status[w.key] = _mod(old_type, w, now)
        assigned[w.key] = Assigned(w.new_id, mod)
        types[w.key] = NoteType(w.new_id, w.hash, mod, w.version, w.schema)
    model_assigned = {w.key: assigned.pop(w.key) for w in models}
    return Plan(assigned, model_assigned, Lock(note_types=types, notes=entries), status, collisions)


def _mod(old: Note | NoteType | None, wanted: Wanted, now: int) -> tuple[int, str]:
    """The mod an entry ships with: now when new, kept when unchanged, else strictly past the old."""
    if old is None:
        return now, "added"
    if old.hash == wanted.hash or old.hash in wanted.also:
        return old.mod, "unchanged"
    return max(now, old.mod + 1), "updated"

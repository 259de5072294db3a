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

This module is the only one that reads the clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import genanki

from cardgen.errors import CardgenError

LOCK_NAME = "cardgen.lock.json"
LOCK_FORMAT = 1

# Note type ids are fixed forever: a learner's collection knows the note type by this id.
# Never change or reuse one; a new pattern takes a new number.
MODEL_IDS: Mapping[str, int] = {
    "concept": 1_735_689_600_001,
    "cloze": 1_735_689_600_002,
    "nutrient_role": 1_735_689_600_003,
    "deficiency": 1_735_689_600_004,
    "food_source": 1_735_689_600_005,
    "exercise": 1_735_689_600_006,
    "risk_factor": 1_735_689_600_007,
    "ms_factor": 1_735_689_600_008,
    "food_set": 1_735_689_600_009,
    "exercise_set": 1_735_689_600_010,
}


def _hash_id(*parts: str) -> int:
    """A stable positive 53-bit id (safe in JavaScript too) from names that never change."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 11 or 1


def model_id(pattern: str, version: int = 1) -> int:
    """Version 1 is the published id; a declared new version is a new note type, for good."""
    if version == 1:
        return MODEL_IDS[pattern]
    return _hash_id("cardgen-model", str(MODEL_IDS[pattern]), str(version))


def field_id(pattern: str, key: str) -> int:
    return _hash_id("cardgen-field", str(MODEL_IDS[pattern]), key)


def template_id(pattern: str, key: str) -> int:
    return _hash_id("cardgen-template", str(MODEL_IDS[pattern]), key)


def deck_id(name: str) -> int:
    """Anki matches decks by name and ignores this id; it only has to be stable and not 1."""
    return _hash_id("cardgen-deck", name) | (1 << 40)


def note_guid(pattern: str, key: str) -> str:
    return str(genanki.guid_for("cardgen", pattern, key))


def content_hash(fields: Sequence[str], tags: Sequence[str] = (), where: str = "") -> str:
    """What the lock compares to decide a mod moves: a note's fields, tags and subdeck.

    Field text never holds \x1f (validation refuses it), so the joined form is unambiguous.
    """
    data = "\x1f".join(fields) + "\x1e" + " ".join(tags) + "\x1e" + where
    return hashlib.sha256(data.encode()).hexdigest()[:32]


class Clock:
    """Build time in seconds: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""

    def __init__(self) -> None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        self.fixed = int(epoch) if epoch and epoch.strip().isdigit() else None

    def now(self) -> int:
        return self.fixed if self.fixed is not None else int(time.time())

    def today(self) -> str:
        """The build's date (UTC), for a deck's changelog."""
        return time.strftime("%Y-%m-%d", time.gmtime(self.now()))

    def not_before(self, seconds: float) -> None:
        """Wait until the real clock reaches `seconds`, so nothing stamped is in the future."""
        if self.fixed is None:
            delay = seconds - time.time()
            if delay > 0:
                time.sleep(delay)


@dataclass(frozen=True)
class Wanted:
    """What the build wants to write for one note or note type, before identity is settled."""

    key: str  # the lock key: `<pattern>:<note key>`, or the pattern for a note type
    hash: str
    ords: tuple[int, ...] = ()  # the card ordinals genanki generates for the note
    new_id: int | None = None  # a note type's id; notes get fresh ones
    record: Mapping[str, Any] = field(default_factory=dict)  # more to keep in its lock entry


@dataclass(frozen=True)
class Assigned:
    id: int
    mod: int
    card_ids: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    notes: Mapping[str, Assigned]
    models: Mapping[str, Assigned]
    lock: dict[str, Any]
    status: Mapping[str, str]  # lock key -> "added", "updated" or "unchanged"; notes and note types


SECTIONS = ("note_types", "notes", "retired", "decks")


def empty_lock() -> dict[str, Any]:
    return {"format": LOCK_FORMAT, **{section: {} for section in SECTIONS}}


def read_lock(out: Path) -> dict[str, Any]:
    path = out / LOCK_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty_lock()
    except OSError as exc:
        raise CardgenError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        lock = json.loads(raw)
        if lock.get("format") != LOCK_FORMAT or not all(isinstance(lock.get(s, {}), dict) for s in SECTIONS):
            raise ValueError(f"format {lock.get('format')!r}, expected {LOCK_FORMAT}")
        return {**empty_lock(), **lock}
    except (ValueError, AttributeError) as exc:
        raise CardgenError(
            f"{path}: the lock is damaged ({exc}); restore it from version control "
            "(rebuilding without it would give every note a new mod and overwrite learners' edits)"
        ) from None


def dump_lock(lock: Mapping[str, Any]) -> bytes:
    """The lock as committed: sorted, one note per line, so a diff shows what changed."""
    blocks = []
    for section in SECTIONS:
        entries = lock.get(section, {})
        body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(entries[k], sort_keys=True)}" for k in sorted(entries))
        blocks.append(f' "{section}": {{\n{body}\n }}' if body else f' "{section}": {{}}')
    return ("{\n" + f' "format": {LOCK_FORMAT},\n' + ",\n".join(blocks) + "\n}\n").encode()


def _settle(
    wanted: Iterable[Wanted], locked: Mapping[str, Any], now: int, ids: Iterator[int]
) -> tuple[dict[str, Assigned], dict[str, Any], dict[str, str]]:
    """Keep id and mod where the hash is unchanged; otherwise a mod strictly past the old one."""
    assigned: dict[str, Assigned] = {}
    entries: dict[str, Any] = {}
    status: dict[str, str] = {}
    for w in wanted:
        old = locked.get(w.key)
        if old is not None and w.new_id is not None and old["id"] != w.new_id:
            old = None  # a note type's new version is a new note type
        if old is None:
            mod, status[w.key] = now, "added"
            entity_id = w.new_id if w.new_id is not None else next(ids)
            cards: dict[int, int] = {}
        else:
            entity_id = old["id"]
            cards = {int(o): i for o, i in old.get("cards", {}).items()}
            if old["hash"] == w.hash:
                mod, status[w.key] = old["mod"], "unchanged"
            else:
                mod, status[w.key] = max(now, old["mod"] + 1), "updated"
        for ordinal in w.ords:
            if ordinal not in cards:
                cards[ordinal] = next(ids)
        cards = {o: cards[o] for o in sorted(w.ords)}
        assigned[w.key] = Assigned(entity_id, mod, cards)
        entry: dict[str, Any] = {**w.record, "id": entity_id, "hash": w.hash, "mod": mod}
        if w.ords:
            entry["cards"] = {str(o): i for o, i in cards.items()}
        entries[w.key] = entry
    return assigned, entries, status


def plan(lock: Mapping[str, Any], notes: list[Wanted], models: list[Wanted], clock: Clock) -> Plan:
    """Settle every note's and note type's id, card ids and mod against the lock.

    A retired note that comes back takes up its old id and cards again. The returned lock
    holds the notes and note types given; the caller files retirements and deck versions.
    """
    now = clock.now()
    locked_notes: Mapping[str, Any] = {**lock.get("retired", {}), **lock.get("notes", {})}
    locked_models: Mapping[str, Any] = lock.get("note_types", {})
    # Fresh note and card ids are milliseconds like Anki's own, allocated just below now and
    # above every id in the lock, so none is in the future and none repeats.
    needed = sum(
        (w.key not in locked_notes)
        + sum(str(o) not in locked_notes.get(w.key, {}).get("cards", {}) for o in w.ords)
        for w in notes
    )
    highest = max(
        (i for entry in locked_notes.values() for i in (entry["id"], *entry.get("cards", {}).values())),
        default=0,
    )
    first = max(highest + 1, now * 1000 - needed + 1)
    note_assigned, note_entries, note_status = _settle(notes, locked_notes, now, iter(range(first, first + needed)))
    model_assigned, model_entries, model_status = _settle(models, locked_models, now, iter(()))
    latest = max(
        [first + needed - 1 if needed else 0]
        + [a.mod * 1000 for a in (*note_assigned.values(), *model_assigned.values())]
    )
    clock.not_before(latest / 1000)
    new_lock = {**empty_lock(), "note_types": model_entries, "notes": note_entries}
    return Plan(note_assigned, model_assigned, new_lock, {**note_status, **model_status})

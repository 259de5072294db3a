"""What importing each deck's new package does to a collection that holds the last one.

Computed from what the lock settled (added, updated or unchanged, by content hash) and what
the last packages held (their fields, subdecks and note types), so `diff` can say it before
anyone publishes: every note added, updated with its changed fields, retired or moved, every
note type changed in place or in a new version, and the counts Anki's import will report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence

from cardgen import identity, package, replaced, upgrade
from cardgen.identity import Plan, Wanted
from cardgen.lock import Lock
from cardgen.package import NoteOut
from cardgen.records import Source
from cardgen.retire import Previous, Retiring
from cardgen.upgrade import DeckDiff, NoteChange, TypeChange


@dataclass(frozen=True)
class NoteTypes:
    """The note types this build writes, by pattern, with their declared versions."""

    models: Mapping[str, package.Model]
    versions: Mapping[str, int]


def diffs(
    source: Source,
    lock: Lock,
    plan: Plan,
    outs: Sequence[tuple[str, NoteOut]],
    wanted: Sequence[Wanted],
    retiring: Retiring,
    types: NoteTypes,
    previous: Previous,
) -> dict[str, DeckDiff]:
    """Each shipping deck's diff against the last build, by deck id."""
    moved = {p for p, v in types.versions.items() if p in lock.note_types and lock.note_types[p].version != v}
    ours = {d.id for d in source.decks}
    result = {}
    for deck in retiring.decks.values():
        version = lock.decks[deck.id].version if deck.id in lock.decks else 0
        result[deck.id] = DeckDiff(deck.id, deck.name, f"{deck.id}.apkg", version, version, removed=deck.id not in ours)
    deck_types: dict[str, set[str]] = defaultdict(set)
    for (deck_id, note), want in zip(outs, wanted, strict=True):
        d = result[deck_id]
        d.notes += 1
        d.cards += len(note.assigned.card_ids)
        pattern = want.key.split(":", 1)[0]
        status = plan.status[want.key]
        if want.key in retiring.shipped:
            if status == "unchanged":  # retired in this version already, shipped again as it was
                d.unchanged += 1
            else:
                d.retired.append(want.key)
            continue
        deck_types[deck_id].add(pattern)
        last_deck, last = previous.notes.get(note.guid, ("", None))
        if last_deck != deck_id and last_deck in result and result[last_deck].removed:
            result[last_deck].moved_out[d.file] = result[last_deck].moved_out.get(d.file, 0) + 1
        if last is not None and last.subdeck and last.subdeck != note.subdeck:
            d.regrouped[(last.subdeck, note.subdeck)] = d.regrouped.get((last.subdeck, note.subdeck), 0) + 1
        if pattern in moved and status != "added":  # the learner's note is on the old note type
            d.conflicting.append(want.key)
        elif status == "added":
            d.added.append(want.key)
        elif status == "updated":
            names = [f["name"] for f in types.models[pattern].fields]
            d.updated.append(NoteChange(want.key, upgrade.field_changes(names, last.fields, note.fields) if last else ()))
        else:
            d.unchanged += 1
    if any(d.retired for d in result.values()):  # else no new note can replace an old one
        replaced.name(list(result.values()), {w.key: note.fields[0] for (_, note), w in zip(outs, wanted, strict=True)})
    for deck_id, patterns in deck_types.items():
        result[deck_id].types += [
            change for p in sorted(patterns) if (change := _type_change(p, source, lock, plan, types, moved, previous))
        ]
    return result


def _type_change(
    pattern: str,
    source: Source,
    lock: Lock,
    plan: Plan,
    types: NoteTypes,
    moved: set[str],
    previous: Previous,
) -> TypeChange | None:
    """What a learner sees of the pattern's note type, if anything changed."""
    m = types.models[pattern]
    if pattern in moved:
        old_name = package.model(source.patterns[pattern], lock.note_types[pattern].version, lock.namespace or identity.LEGACY).name
        return TypeChange(m.name, "new version", upgrade.migration_help(old_name, m.name, source.note_types[pattern].migration))
    if plan.status[pattern] == "added":
        return TypeChange(m.name, "new", "added")
    if plan.status[pattern] == "updated":
        return TypeChange(m.name, "in place", upgrade.type_change(previous.models.get(m.model_id), package.model_content(m)))
    return None

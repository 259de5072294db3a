"""Notes the source no longer makes: found in the last build's packages and shipped once more,
tagged `<deck tag>::retired` and saying so on the back, in the deck version that retires them.

Anki's import never deletes a note, so a learner keeps a removed fact's note with its reviews;
shipping it once more marks it, so the learner can find and delete it. The lock remembers
every retired note, so a fact that comes back gets its old note (and reviews) back.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping

from cardgen import identity, package, replaced, unpack, upgrade
from cardgen.identity import Plan, Wanted
from cardgen.lock import Lock, Note, Retired
from cardgen.package import NoteOut
from cardgen.records import Deck, Source
from cardgen.unpack import OldNote


@dataclass(frozen=True)
class Previous:
    """What the last build's packages hold: notes by GUID (with their deck id), and note types."""

    notes: Mapping[str, tuple[str, OldNote]]
    models: Mapping[int, dict[str, Any]]

    @classmethod
    def read(cls, packages: Mapping[str, bytes]) -> Previous:
        notes: dict[str, tuple[str, OldNote]] = {}
        models: dict[int, dict[str, Any]] = {}
        for deck_id, data in packages.items():
            try:
                held, held_models = unpack.old_notes(data)
            except Exception:  # an unreadable package: nothing to compare with or retire from
                continue
            notes.update({guid: (deck_id, note) for guid, note in held.items()})
            models.update(held_models)
        return cls(notes, models)


@dataclass
class Retiring:
    """Notes the source no longer has, to ship once more (or only record) as retired."""

    decks: Mapping[str, Deck]  # every deck that ships: the source's, and those it no longer has
    shipping: frozenset[str]  # retired in the decks' current versions: shipped again as they were
    wanted: list[Wanted] = field(default_factory=list)
    outs: list[tuple[str, NoteOut]] = field(default_factory=list)
    shipped: dict[str, str] = field(default_factory=dict)  # lock key -> deck id
    unshipped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # in no package that ships: deck id -> lock keys
    models: dict[int, package.Model] = field(default_factory=dict)  # note types only the old notes use


def retire(
    source: Source,
    lock: Lock,
    live: set[str],
    previous: Previous,
    current: Mapping[int, package.Model],
    today: str,
    leave_out: frozenset[str] = frozenset(),
) -> Retiring:
    """Each note the lock has and the source does not, as the last build shipped it, tagged.

    A retired note ships in the deck version that retires it, however often that version is
    rebuilt; the next version leaves it out (`leave_out`), and only the lock remembers it.
    """
    decks = {d.id: d for d in (*source.decks, *replaced.removed_decks(source, list(lock.decks), previous.notes))}
    versions = {d: e.version for d, e in lock.decks.items()}
    shipping = frozenset(k for k, e in lock.retired.items() if e.version is not None and e.version == versions.get(e.deck)) - leave_out
    result = Retiring(decks, shipping)
    namespace = lock.namespace or identity.LEGACY
    guids = {k: e.guid for k, e in (*lock.retired.items(), *lock.notes.items()) if e.guid}
    for key in sorted((set(lock.notes) | shipping) - live):
        pattern, note_key = key.split(":", 1)
        found = previous.notes.get(guids.get(key) or identity.note_guid(pattern, note_key, namespace))
        if found is None or found[0] not in decks:  # no package left to ship it from
            result.unshipped[found[0] if found else ""].append(key)
            continue
        deck_id, old = found
        m = current.get(old.model_id) or result.models.setdefault(
            old.model_id, package.model_from_contents(old.model_id, previous.models[old.model_id])
        )
        root = f"{decks[deck_id].tag}::retired"
        if root in old.tags:  # shipped retired already: the same note again, untouched
            fields, tags = old.fields, old.tags
        else:
            fields = upgrade.retired_fields([f["name"] for f in m.fields], old.fields, today, root)
            tags = tuple(sorted({*old.tags, root}))
        ords = package.card_ords(m, fields)
        legacy = identity.content_hash(fields, tags, old.subdeck)
        result.wanted.append(Wanted(key, identity.content_hash(fields, tags), ords, also=(legacy,)))
        subdeck = f"{decks[deck_id].name}::{upgrade.RETIRED_SUBDECK}"
        result.outs.append((deck_id, NoteOut(old.guid, m.model_id, tuple(fields), tuple(tags), ords, subdeck, package.UNSETTLED)))
        result.shipped[key] = deck_id
    return result


def settle(lock: Lock, plan: Plan, live: set[str], retiring: Retiring, today: str) -> tuple[dict[str, Note], dict[str, Retired]]:
    """The lock's live and retired notes after this build: a note retired now moves across,
    keeping its ids and the date it was first retired."""
    notes = dict(plan.lock.notes)
    retired = {k: v for k, v in lock.retired.items() if k not in live}
    for key, deck_id in retiring.shipped.items():
        n, old = notes.pop(key), retired.get(key)
        retired[key] = Retired(
            n.id, n.hash, n.mod, n.cards, n.guid, deck=deck_id, retired=old.retired if old else today, version=old.version if old else None
        )
    for deck_id, keys in retiring.unshipped.items():
        for key in keys:
            if key in lock.notes:
                n = lock.notes[key]
                retired[key] = Retired(n.id, n.hash, n.mod, n.cards, n.guid, deck=deck_id, retired=today)
    return notes, retired


def versioned(retired: Mapping[str, Retired], retiring: Retiring, versions: Mapping[str, int]) -> dict[str, Retired]:
    """Each note retired now, with the deck version that ships it retired (kept after)."""
    result = dict(retired)
    for key, deck_id in retiring.shipped.items():
        if result[key].version is None:
            result[key] = dataclasses.replace(result[key], version=versions[deck_id])
    return result

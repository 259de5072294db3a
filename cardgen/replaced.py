"""Edits that look small but replace notes: a fact with a new id or a new pattern, a deck the
source no longer has (or has under a new id).

Anki matches a note by its GUID, which the fact's pattern and id make, and never deletes or
moves anything on import. So each of these gives learners new notes while the old ones stay
in their collections with their reviews. The build cannot stop a maintainer from meaning it,
but it says so, with what learners keep; and a deck the source no longer has ships one last
version of its package, its notes retired as a removed fact's are, instead of lingering.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Mapping, Sequence

from cardgen.records import Deck, Source
from cardgen.unpack import OldNote
from cardgen.upgrade import DeckDiff

REMOVED = "This deck is no longer published: its facts were removed from its source or moved to another deck. Nothing will update it again."


def removed_decks(source: Source, shipped: Sequence[str], old_notes: Mapping[str, tuple[str, OldNote]]) -> list[Deck]:
    """The decks the lock has shipped that the source no longer has, as their packages name them.

    A deck whose package is gone (or names no cardgen deck) cannot ship again and is left out."""
    ours = {d.id for d in source.decks}
    held: dict[str, list[OldNote]] = defaultdict(list)
    for deck_id, note in old_notes.values():
        held[deck_id].append(note)
    found = []
    for deck_id in sorted(set(shipped) - ours):
        names = {n.subdeck.split("::")[0] for n in held[deck_id] if n.subdeck}
        roots = {t.split("::pattern::")[0] for n in held[deck_id] for t in n.tags if "::pattern::" in t}
        if len(names) == 1 and len(roots) == 1:
            found.append(Deck(deck_id, names.pop(), roots.pop(), REMOVED, ()))
    return found


def _fact(key: str) -> str:
    """The fact id in a lock key `<pattern>:<fact id>[/<member>]`."""
    return key.split(":", 1)[1].split("/", 1)[0]


def _pattern(key: str) -> str:
    return key.split(":", 1)[0]


def _notes(count: int) -> str:
    return f"{count} note{'s' * (count != 1)}"


def name(diffs: Sequence[DeckDiff], fronts: Mapping[str, str]) -> None:
    """Say, on the deck of each new note, which retired note it replaces: a fact with a new
    pattern (same id), or a fact with a new id that asks what the retired one asked (same
    pattern, same first field). `fronts` holds every added and retired note's first field."""
    retired = [key for d in diffs for key in d.retired]
    retired_patterns: dict[str, set[str]] = defaultdict(set)
    gone: Counter[str] = Counter()  # retired notes by fact
    asked: dict[tuple[str, str], str] = {}
    for key in retired:
        fact, pattern = _fact(key), _pattern(key)
        retired_patterns[fact].add(pattern)
        gone[fact] += 1
        asked.setdefault((pattern, fronts[key]), fact)
    for d in diffs:
        by_fact: dict[str, list[str]] = defaultdict(list)
        for key in d.added:
            by_fact[_fact(key)].append(key)
        for fact, keys in sorted(by_fact.items()):
            patterns = {_pattern(k) for k in keys}
            if fact in retired_patterns and retired_patterns[fact] != patterns:
                d.replaced.append(
                    f"fact '{fact}' changed pattern ({', '.join(sorted(retired_patterns[fact]))} -> {', '.join(sorted(patterns))}): "
                    f"a note cannot change note type on import, so learners get {_notes(len(keys))} and keep the "
                    f"{'old one' if gone[fact] == 1 else f'{gone[fact]} old ones'}, retired, with their reviews"
                )
                continue
            olds = sorted({asked[p, fronts[k]] for k in keys for p in [_pattern(k)] if (p, fronts[k]) in asked} - {fact})
            for old in olds:
                d.replaced.append(
                    f"fact '{fact}' asks what retired fact '{old}' asked: if '{old}' was renamed, learners get "
                    f"{_notes(len(keys))} with no reviews and keep the old, retired, with theirs; to keep one note and its "
                    f"reviews, put back id: {old}"
                )

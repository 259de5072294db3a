"""Safe upgrades: what an import of the new build does to a collection holding the last one.

Three things a plain rebuild cannot see are settled here. A fact removed from the source
is retired: its notes are shipped once more, tagged and saying so, and the lock records
them. A note type whose schema changed (a field or card type added, removed or moved)
would become a second "Name+" note type in every learner's collection, so it is refused
unless the source declares a new version with a migration note. And every deck carries its
version and a short changelog, which also go to decks/CHANGELOG.md.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from cardgen.errors import CardgenError
from cardgen.lock import Change, DeckEntry, NoteType, Schema
from cardgen.package import Model
from cardgen.records import Deck, Source
from cardgen.render import visible

CHANGELOG_NAME = "CHANGELOG.md"
# Where a retired note's cards go in the package: a new learner meets them after every
# live card (subdecks are studied in name order, and "R" follows any numbered topic) and
# can delete them in one step. A learner who has the note keeps its cards where they are.
RETIRED_SUBDECK = "Retired (safe to delete)"
RECENT = 3  # changelog entries shown in a deck's description
_RETIRED = re.compile(r"\b\d+ retired\b")  # as `summary` counts them


class SchemaChangeRefused(CardgenError):
    """A note type's schema changed without a declared new version."""


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class NoteChange:
    key: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class TypeChange:
    name: str
    kind: Literal["new", "in place", "new version"]
    detail: str  # what changed, and what the learner sees or must do


@dataclass
class DeckDiff:
    """What importing the new package does to a collection that holds the previous one."""

    deck: str
    name: str
    file: str
    version_from: int
    version_to: int
    notes: int = 0
    cards: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[NoteChange] = field(default_factory=list)
    unchanged: int = 0
    retired: list[str] = field(default_factory=list)  # shipped once more, tagged
    conflicting: list[str] = field(default_factory=list)  # notes of a note type in a new version
    types: list[TypeChange] = field(default_factory=list)
    regrouped: dict[tuple[str, str], int] = field(default_factory=dict)  # (old subdeck, new) -> notes
    replaced: list[str] = field(default_factory=list)  # notes that look edited but are new to Anki, said plainly
    removed: bool = False  # the source no longer has this deck: this is its package's last version
    moved_out: dict[str, int] = field(default_factory=dict)  # a removed deck's live notes: package -> how many

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.conflicting or self.types or self.regrouped or self.moved_out)

    def predicted(self) -> dict[str, int]:
        """The counts of Anki's import log, under the default import options."""
        return {
            "new": len(self.added),
            "updated": len(self.updated) + len(self.retired),
            "duplicate": self.unchanged,
            "conflicting": len(self.conflicting),
        }


def schema_problems(
    source: Source,
    locked_types: Mapping[str, NoteType],
    models: Mapping[str, Model],
    schemas: Mapping[str, Schema],
    versions: Mapping[str, int],
) -> list[str]:
    """Every note type whose schema changed since the lock without a new declared version."""
    problems = []
    for pattern, m in models.items():
        old = locked_types.get(pattern)
        if old is None:
            continue
        if versions[pattern] < old.version:
            problems.append(
                f"note type '{m.name}': note_types.{pattern}.version is {versions[pattern]}, but version "
                f"{old.version} was already published; versions only go up"
            )
        elif old.schema == schemas[pattern] and versions[pattern] > old.version:
            problems.append(
                f"note type '{m.name}': note_types.{pattern} declares version {versions[pattern]}, but its fields and "
                f"card types are as in version {old.version}. A new version would move every learner's notes "
                f"to a new note type for nothing; remove the declaration or set version: {old.version}"
            )
        elif old.schema != schemas[pattern] and versions[pattern] == old.version:
            problems.append(
                f"note type '{m.name}' changed schema ({_schema_change(old.schema, schemas[pattern])}). Under Anki's "
                "default import options every learner would get a second note type ('Name+') whose notes never update. "
                f"Declare it in {source.path}: note_types: {{{pattern}: {{version: {old.version + 1}, "
                "migration: \"what changed\"}}, or keep the fields' and card types' keys as they were"
            )
    return problems


def _schema_change(old: Schema, new: Schema) -> str:
    parts = []
    for before, after, label in ((old.fields, new.fields, "field"), (old.templates, new.templates, "card type")):
        added, removed = len(set(after) - set(before)), len(set(before) - set(after))
        if added:
            parts.append(f"{added} {label}{'s' * (added != 1)} added")
        if removed:
            parts.append(f"{removed} {label}{'s' * (removed != 1)} removed")
        if not added and not removed and before != after:
            parts.append(f"{label}s reordered")
    return ", ".join(parts) or "ids changed"


def type_change(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """What a learner sees of a note type changed in place."""
    if old is None:
        return "changed in place"
    seen = []
    if old["name"] != new["name"]:
        seen.append(f"renamed '{old['name']}' -> '{new['name']}'")
    if old["css"] != new["css"]:
        seen.append("restyled (CSS)")
    if [f[0] for f in old["fields"]] != [f[0] for f in new["fields"]]:
        seen.append("fields renamed")
    if [t[0] for t in old["templates"]] != [t[0] for t in new["templates"]]:
        seen.append("card types renamed")
    if [t[2:] for t in old["templates"]] != [t[2:] for t in new["templates"]]:
        seen.append("card templates changed")
    return ", ".join(seen) + "; updated in place, reviews kept" if seen else "updated in place"


def retired_fields(field_names: Sequence[str], fields: Sequence[str], date: str, tag: str) -> tuple[str, ...]:
    """The note's last fields, its Extra saying that it is retired and how to delete it."""
    notice = (
        f'<div class="retired"><b>Retired on {html.escape(date)}</b>: this fact is no longer in the deck. '
        f"To delete it: Browse, search <code>tag:{html.escape(tag)}</code>, select all, Notes &gt; Delete.</div>"
    )
    values = list(fields)
    if "Extra" in field_names:
        index = list(field_names).index("Extra")
        values[index] = notice + values[index]
    else:  # a note type of another tool's making: the last field is the safest to extend
        values[-1] = values[-1] + notice
    return tuple(values)


def field_changes(field_names: Sequence[str], old: Sequence[str], new: Sequence[str]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, visible(o), visible(n))
        for name, o, n in zip(field_names, old, new)  # noqa: B905 - a note type in a new version may have more fields
        if o != n
    )


def summary(diff: DeckDiff) -> str:
    """One changelog line: the counts that changed."""
    parts = [
        f"{len(diff.added)} added" if diff.added else "",
        f"{len(diff.updated)} updated" if diff.updated else "",
        f"{len(diff.retired)} retired" if diff.retired else "",
        f"{len(diff.conflicting)} moved to a new note type" if diff.conflicting else "",
    ]
    notes = ", ".join(p for p in parts if p)
    said = f"notes: {notes}" if notes else "notes unchanged"
    return f"deck no longer in the source, {said}" if diff.removed else said


def changelog_entry(diff: DeckDiff, date: str) -> Change:
    return Change(diff.version_to, date, summary(diff), tuple(f"{t.name}: {t.detail}" for t in diff.types) if diff.version_from else ())


def description(deck: Deck, history: Sequence[Change]) -> str:
    """The deck description learners see: the source's text, the version, recent changes, and
    how to delete retired notes while any version has retired some (learners who had those
    versions have them; the changelog says so, and it survives a lost lock)."""
    parts = [html.escape(deck.description)]
    if history:
        latest = history[-1]
        lines = [f"<b>Version {latest.version}</b> ({latest.date})."]
        for entry in reversed(history[-RECENT:]):
            items = [entry.notes, *entry.note_types]
            lines.append(f"v{entry.version} ({entry.date}): " + html.escape("; ".join(items)))
        parts.append("<br>".join(lines))
    if any(_RETIRED.search(entry.notes) for entry in history):
        parts.append(
            "Retired notes: facts removed from this deck stay in your collection, tagged "
            f"<code>{html.escape(deck.tag)}::retired</code> and marked on the back. To delete them: Browse, search "
            f"<code>tag:{html.escape(deck.tag)}::retired</code>, select all, Notes &gt; Delete. New to this deck? They "
            f"come last, in the subdeck {html.escape(RETIRED_SUBDECK)}: delete that subdeck. Import every version in "
            "turn: a version you skip cannot mark the notes it retired."
        )
    return "<br><br>".join(parts)


def migration_help(old_name: str, new_name: str, migration: str) -> str:
    """What every learner with the old note type must do, in Anki's own words."""
    return (
        f"a new version of '{old_name}': {migration}. Your notes of '{old_name}' keep their reviews but no longer update. "
        f'To move them: import this deck, then in Browse search note:"{old_name}", select all, '
        f"Notes > Change Note Type > '{new_name}', and import the deck again with 'Update notes: Always'"
    )


def _removed(d: DeckDiff) -> list[str]:
    """What a learner of a deck the source no longer has keeps, and where its notes went."""
    lines = [f"    deck '{d.deck}' is no longer in the source: nothing updates {d.file} after this version"]
    for file, count in sorted(d.moved_out.items()):
        lines.append(
            f"    {count} of its note{'s' * (count != 1)} now ship in {file}: learners who import it keep those cards in "
            f"'{d.name}' with their reviews (Anki matches notes by GUID and never moves cards), and the notes update there"
        )
    if d.retired:
        lines.append(f"    its last version ships the {len(d.retired)} notes no deck has now, tagged retired, as a removed fact's are")
    elif not d.notes:
        lines.append(f"    no note is left to ship in it, so the build removes {d.file}; publish it no more")
    return lines


def changelog_markdown(decks: Sequence[Deck], lock_decks: Mapping[str, DeckEntry]) -> bytes:
    """Each deck's history, newest first; a deck the source no longer has keeps its own."""
    lines = ["# Changelog", "", "Written by `cardgen build` from `cardgen.lock.json`; do not edit by hand.", ""]
    headings = [(d.id, f"{d.name} (`{d.id}.apkg`)") for d in decks]
    headings += [(i, f"`{i}.apkg` (no longer in the source)") for i in sorted(set(lock_decks) - {d.id for d in decks})]
    for deck_id, heading in headings:
        lines += [f"## {heading}", ""]
        for entry in reversed(lock_decks.get(deck_id, DeckEntry()).changelog):
            lines.append(f"### Version {entry.version}, {entry.date}")
            lines.append("")
            lines += [f"- {item}" for item in [entry.notes, *entry.note_types]]
            lines.append("")
    return ("\n".join(lines).rstrip() + "\n").encode()


def report(diffs: Sequence[DeckDiff], long: bool = False) -> str:
    """What each deck's import does: a line of counts, or (long) every note and field."""
    lines = []
    for d in diffs:
        lines.append(f"  {d.file}: {d.name} v{d.version_to}: {d.notes} notes, {d.cards} cards")
        if not d.version_from:
            known = d.notes - len(d.added)
            held = f", {known} of them shipped before in another package (learners' notes update in place)" if known else ""
            lines.append(f"    first version: {d.notes} notes{held}")
        elif not d.changed:
            lines.append(f"    unchanged since v{d.version_from}")
        else:
            lines.append(
                f"    since v{d.version_from}: {len(d.added)} added, {len(d.updated)} updated, {d.unchanged} unchanged, "
                f"{len(d.retired)} retired, {len(d.conflicting)} to a new note type"
            )
        if d.removed:
            lines += _removed(d)
        lines += [f"    {line}" for line in d.replaced]
        for t in d.types:
            lines.append(f"    note type '{t.name}': {t.detail}")
        for (old, new), count in sorted(d.regrouped.items()):
            lines.append(
                f"    {count} note{'s' * (count != 1)} now in '{new}', were in '{old}': learners who have them keep those cards "
                f"in '{old}' (Anki never moves cards on import), and new learners get them in '{new}'; no note is updated for it"
            )
        if not long:
            continue
        lines += [f"    + {key}" for key in d.added]
        for change in d.updated:
            lines.append(f"    ~ {change.key}")
            lines += [f"        {c.field}: {c.old!r} -> {c.new!r}" for c in change.changes]
        lines += [f"    - {key} (shipped once more, tagged retired)" for key in d.retired]
        lines += [f"    ! {key} (stays on the old note type until the learner moves it)" for key in d.conflicting]
        p = d.predicted()
        retired = f" ({len(d.retired)} of them retired notes)" if d.retired else ""
        lines.append(
            f"    a learner's import (default options): new {p['new']}, updated {p['updated']}{retired}, "
            f"unchanged {p['duplicate']}, conflicting {p['conflicting']}"
        )
    return "\n".join(lines)

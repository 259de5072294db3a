"""Every file a build writes, from the source, the lock and the last build's packages.

The steps, in order: the note types (a schema change without a declared version is refused);
the notes, each with its curriculum position; the notes the source no longer has, retired;
identity settled against the lock (ids, card ids, mods); what an import of it does; each
deck's version, package and changelog; the new lock. Nothing here touches the disk.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Mapping

from cardgen import identity, package, retire, upgrade
from cardgen import lock as lockfile
from cardgen.changes import NoteTypes, diffs
from cardgen.errors import Problem, SourceError
from cardgen.identity import Clock, Plan, Wanted
from cardgen.lock import DeckEntry, Lock
from cardgen.package import NoteOut
from cardgen.records import Fact, NoteSpec, Source
from cardgen.upgrade import DeckDiff

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Result:
    decks: tuple[DeckDiff, ...]
    note_types: int
    stale: tuple[str, ...] = ()  # with check: what differs from the packages on disk
    written: tuple[str, ...] = field(default=())
    up_to_date: bool = False  # nothing was built: source, lock and outputs are as last built
    notices: tuple[str, ...] = ()  # what the build did that the maintainer should hear of
    incremental: bool = False  # made from the last build's packages and the edited facts' patterns (`edit`)

    @property
    def notes(self) -> int:
        return sum(d.notes for d in self.decks)

    @property
    def cards(self) -> int:
        return sum(d.cards for d in self.decks)


@dataclass(frozen=True)
class Compiled:
    """Every file a build of the source would write, and what it holds."""

    files: dict[str, bytes]
    result: Result
    remove: tuple[str, ...] = ()  # packages of decks the source no longer has, with nothing left to ship
    made: tuple[tuple[str, str, str, int], ...] = ()  # every note the patterns made, as (pattern, key, fact id, note id), in order


def notes_of(source: Source) -> list[NoteSpec]:
    """Every note the source makes, pattern by pattern, in source order within a pattern."""
    by_pattern: dict[str, list[Fact]] = defaultdict(list)
    for fact in source.facts:
        by_pattern[fact.pattern].append(fact)
    return [note for key, facts in by_pattern.items() for note in source.patterns[key].notes(facts)]


def compile_source(
    source: Source,
    lock: Lock,
    clock: Clock,
    previous: Mapping[str, bytes] | None = None,
    progress: Progress = quiet,
    zipper: package.Zipper | None = None,
) -> Compiled:
    """Every file the build writes, and what an import of it does. Given a `zipper`, the
    packages' bytes are its to give (`zipper.done()`, in their places among the files), so
    that they are zipped while the caller goes on; without one, they are in the files."""
    if zipper is not None:
        return _compiled(source, lock, clock, previous or {}, progress, zipper)
    with package.Zipper() as zipper:
        compiled = _compiled(source, lock, clock, previous or {}, progress, zipper)
        compiled.files.update(zipper.done())
    return compiled


def _compiled(
    source: Source,
    lock: Lock,
    clock: Clock,
    previous: Mapping[str, bytes],
    progress: Progress,
    zipper: package.Zipper,
    leave_out: frozenset[str] = frozenset(),
) -> Compiled:
    """`compile_source`'s steps. A retired note ships in the version that retires it, however often that
    version is rebuilt; `leave_out` holds those of an older version when this build makes a new one."""
    specs = notes_of(source)
    types = note_types(source, lock, {s.pattern for s in specs})
    wanted, outs = wanted_notes(source, specs, types, lock, progress)
    live = {w.key for w in wanted}
    old = retire.Previous.read(previous)
    current = {m.model_id: m for m in types.models.values()}
    retiring = retire.retire(source, lock, live, old, current, clock.today(), leave_out)
    wanted, outs = wanted + retiring.wanted, outs + retiring.outs
    plan = identity.plan(lock, wanted, type_wants(types), clock)
    outs = [(deck_id, note.settled(plan.notes[w.key])) for (deck_id, note), w in zip(outs, wanted, strict=True)]
    changed = diffs(source, lock, plan, outs, wanted, retiring, types, old)
    model_mods = {m.model_id: plan.models[p].mod for p, m in types.models.items()}
    model_mods.update({model_id: int(old.models[model_id]["mod"]) for model_id in retiring.models})
    files, remove, decks = _packages(
        retiring, changed, outs, lock, {**current, **retiring.models}, model_mods, clock.today(), progress, zipper
    )
    progress("notes", len(specs), len(specs))
    bumped = {d.deck for d in changed.values() if d.version_to > d.version_from}
    older = frozenset(k for k in retiring.shipping if lock.retired[k].deck in bumped)
    if older:  # a new version: notes the last one retired are not shipped again (they never change the diff)
        zipper.clear()  # the packages are made again, and a deck with nothing left to ship has none
        return _compiled(source, lock, clock, previous, progress, zipper, leave_out | older)
    notes, retired = retire.settle(lock, plan, live, retiring, clock.today())
    retired = retire.versioned(retired, retiring, {d: e.version for d, e in decks.items()})
    files[lockfile.NAME] = Lock(lock.namespace or identity.LEGACY, plan.lock.note_types, notes, retired, decks).dump()
    files[upgrade.CHANGELOG_NAME] = upgrade.changelog_markdown(source.decks, decks)
    result = Result(tuple(changed[d] for d in retiring.decks), len(types.models), notices=_notices(plan, retiring))
    made = tuple((s.pattern, s.key, s.fact.id, plan.notes[w.key].id) for s, w in zip(specs, wanted))  # for the next build's memo
    return Compiled(files, result, tuple(remove), made)


def note_types(source: Source, lock: Lock, used: set[str]) -> NoteTypes:
    """Each used pattern's note type, in its declared version; a schema change is refused
    unless the source declares a new version for it."""
    locked = lock.note_types
    versions = {
        p: source.note_types[p].version if p in source.note_types else locked[p].version if p in locked else 1 for p in sorted(used)
    }
    namespace = lock.namespace or identity.LEGACY
    models = {p: package.model(source.patterns[p], versions[p], namespace, source.read_aloud, source.patterns.css) for p in versions}
    schemas = {p: package.schema(m) for p, m in models.items()}
    refused = upgrade.schema_problems(source, locked, models, schemas, versions)
    if refused:
        raise upgrade.SchemaChangeRefused("\n".join(refused) + "\nnothing was written")
    return NoteTypes(models, versions)


def type_wants(types: NoteTypes) -> list[Wanted]:
    return [
        Wanted(
            p,
            identity.content_hash([json.dumps(package.model_content(m), sort_keys=True)]),
            new_id=m.model_id,
            version=types.versions[p],
            schema=package.schema(m),
        )
        for p, m in types.models.items()
    ]


def _curriculum(source: Source, specs: list[NoteSpec]) -> list[int]:
    """Each note's position among new cards (1, 2, ...): the order the source declares its
    facts, a fact's notes in the order its pattern makes them. Anki's default options hand
    out a deck's new cards by this position (and subdecks by name)."""
    order = {fact.id: index for index, fact in enumerate(source.facts)}
    n = len(specs)
    ranks = [order[spec.fact.id] * n + i for i, spec in enumerate(specs)]  # (fact's place, note's place) as one number
    ranked = sorted(range(n), key=ranks.__getitem__)
    due = [0] * len(specs)
    for position, index in enumerate(ranked, 1):
        due[index] = position
    return due


def wanted_notes(
    source: Source,
    specs: list[NoteSpec],
    types: NoteTypes,
    lock: Lock,
    progress: Progress,
) -> tuple[list[Wanted], list[tuple[str, NoteOut]]]:
    """What the build wants for each note of the source, and the note, by deck id."""
    namespace = lock.namespace or identity.LEGACY
    locked = {key: entry.hash for entries in (lock.retired, lock.notes) for key, entry in entries.items()}
    problems: list[Problem] = []
    wanted: list[Wanted] = []
    outs: list[tuple[str, NoteOut]] = []
    due = _curriculum(source, specs)
    for done, spec in enumerate(specs):
        if done % 1000 == 0:
            progress("notes", done, len(specs))
        guid = identity.note_guid(spec.pattern, spec.key, namespace)
        m = types.models[spec.pattern]
        ords = package.card_ords(m, spec.fields)
        if not ords:
            line, col = spec.fact.mark
            problems.append(Problem(str(source.path), line, col, f"fact '{spec.fact.id}' would make a note with no card; fill in its text"))
        key, content = f"{spec.pattern}:{spec.key}", identity.content_hash(spec.fields, spec.tags)
        # The hash an older cardgen wrote for the same content counts only where the lock's differs.
        also = () if locked.get(key, content) == content else (identity.content_hash(spec.fields, spec.tags, spec.fact.topic.subdeck),)
        wanted.append(Wanted(key, content, ords, also=also))
        made = NoteOut(guid, m.model_id, tuple(spec.fields), tuple(spec.tags), ords, spec.fact.topic.subdeck, package.UNSETTLED, due[done])
        outs.append((spec.fact.topic.deck, made))
    if problems:
        raise SourceError(problems)
    return wanted, outs


def _packages(
    retiring: retire.Retiring,
    changed: Mapping[str, DeckDiff],
    outs: list[tuple[str, NoteOut]],
    lock: Lock,
    models: Mapping[int, package.Model],
    model_mods: Mapping[int, int],
    today: str,
    progress: Progress,
    zipper: package.Zipper,
) -> tuple[dict[str, bytes], list[str], dict[str, DeckEntry]]:
    """Each deck's package, its version raised when anything in it changed (its place in the
    files, its bytes handed to `zipper`); the packages of decks with nothing left to ship, to
    remove; and the decks as the lock records them."""
    files: dict[str, bytes] = {}
    remove: list[str] = []
    decks: dict[str, DeckEntry] = dict(lock.decks)
    for done, deck in enumerate(retiring.decks.values()):
        progress("packages", done, len(retiring.decks))
        d = changed[deck.id]
        entry = decks.get(deck.id, DeckEntry())
        if d.changed or d.version_from == 0:
            d.version_to = d.version_from + 1
            entry = DeckEntry(d.version_to, (*entry.changelog, upgrade.changelog_entry(d, today)))
        decks[deck.id] = entry
        notes = [note for deck_id, note in outs if deck_id == deck.id]
        if notes:
            files[d.file] = b""  # its place; zipper.done() fills it
            zipper.add(d.file, package.filled(deck.name, upgrade.description(deck, entry.changelog), models, model_mods, notes))
        else:  # a deck the source no longer has, every note of it live elsewhere or retired before
            remove.append(d.file)
    progress("packages", len(retiring.decks), len(retiring.decks))
    return files, remove, decks


def _notices(plan: Plan, retiring: retire.Retiring) -> tuple[str, ...]:
    """What the build did that the maintainer should hear of, beyond each deck's diff."""
    said = [
        f"{lockfile.NAME}: '{c.key}' shared its {'card' if c.card else 'note'} id {c.id} with '{c.kept_by}' (two branches "
        f"allocated it); '{c.key}' gets a new id. Learners keep their notes and reviews: Anki matches notes by GUID"
        for c in plan.reallocated
    ]
    count = sum(len(keys) for keys in retiring.unshipped.values())  # no deck that ships has them
    if count:
        said.append(
            f"{count} note{'s' * (count != 1)} the source no longer has {'are' if count != 1 else 'is'} in no package "
            "of the out folder (a removed deck whose package is gone?): recorded as retired, but learners who have "
            f"{'them' if count != 1 else 'it'} keep {'them' if count != 1 else 'it'} untagged"
        )
    return tuple(said)

"""The pipeline: source -> notes -> identity settled against the lock -> packages on disk."""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import secrets
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import genanki

from cardgen import atomic, identity, package, recover, replaced, stamp, upgrade
from cardgen import lock as lockfile
from cardgen.errors import OutputError, Problem, SourceError
from cardgen.identity import Assigned, Clock, Wanted
from cardgen.load import read_bytes
from cardgen.lock import DeckEntry, Lock, Retired
from cardgen.package import NoteOut, OldNote
from cardgen.patterns import PATTERNS
from cardgen.records import Deck, Fact, NoteSpec, Source
from cardgen.upgrade import DeckDiff, NoteChange, TypeChange
from cardgen.validate import read_source


@dataclass(frozen=True)
class Result:
    decks: tuple[DeckDiff, ...]
    note_types: int
    stale: tuple[str, ...] = ()  # with check: what differs from the packages on disk
    written: tuple[str, ...] = field(default=())
    up_to_date: bool = False  # nothing was built: source, lock and outputs are as last built
    notices: tuple[str, ...] = ()  # what the build did that the maintainer should hear of

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


def notes_of(source: Source) -> list[NoteSpec]:
    """Every note the source makes, pattern by pattern, in source order within a pattern."""
    by_pattern: dict[str, list[Fact]] = defaultdict(list)
    for fact in source.facts:
        by_pattern[fact.pattern].append(fact)
    return [note for key, facts in by_pattern.items() for note in PATTERNS[key].notes(facts)]


def _curriculum(source: Source, specs: list[NoteSpec]) -> list[int]:
    """Each note's position among new cards (1, 2, ...): the order the source declares its
    facts, a fact's notes in the order its pattern makes them. Anki's default options hand
    out a deck's new cards by this position (and subdecks by name)."""
    order = {fact.id: index for index, fact in enumerate(source.facts)}
    ranked = sorted(range(len(specs)), key=lambda i: (order[specs[i].fact.id], i))
    due = [0] * len(specs)
    for position, index in enumerate(ranked, 1):
        due[index] = position
    return due


def _previous(previous: Mapping[str, bytes]) -> tuple[dict[str, tuple[str, OldNote]], dict[int, dict[str, Any]]]:
    """The notes of the last build's packages by GUID (with their deck id), and note types."""
    notes: dict[str, tuple[str, OldNote]] = {}
    models: dict[int, dict[str, Any]] = {}
    for deck_id, data in previous.items():
        try:
            held, held_models = package.old_notes(data)
        except Exception:  # an unreadable package: nothing to compare with or retire from
            continue
        notes.update({guid: (deck_id, note) for guid, note in held.items()})
        models.update(held_models)
    return notes, models


@dataclass
class _Retiring:
    """Notes the source no longer has, to ship once more (or only record) as retired."""

    wanted: list[Wanted] = field(default_factory=list)
    outs: list[tuple[str, NoteOut]] = field(default_factory=list)
    decks: dict[str, str] = field(default_factory=dict)  # lock key -> deck id, shipped
    unshipped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # deck id -> lock keys
    models: dict[int, genanki.Model] = field(default_factory=dict)  # note types only the old notes use


def _retire(
    gone: list[str], guids: Mapping[str, str], namespace: str, decks: Mapping[str, Deck], old_notes: Mapping[str, tuple[str, OldNote]],
    old_models: Mapping[int, dict[str, Any]], current: Mapping[int, genanki.Model], today: str,
) -> _Retiring:
    """Each retired note as the last build shipped it, tagged `<root>::retired`, saying so."""
    result = _Retiring()
    for key in gone:
        pattern, note_key = key.split(":", 1)
        found = old_notes.get(guids.get(key) or identity.note_guid(pattern, note_key, namespace))
        if found is None or found[0] not in decks:  # no package left to ship it from
            result.unshipped[found[0] if found else ""].append(key)
            continue
        deck_id, old = found
        m = current.get(old.model_id) or result.models.setdefault(
            old.model_id, package.model_from_contents(old.model_id, old_models[old.model_id])
        )
        root = f"{decks[deck_id].tag}::retired"
        if root in old.tags:  # shipped retired already: the same note again, untouched
            fields, tags = old.fields, old.tags
        else:
            fields = upgrade.retired_fields([f["name"] for f in m.fields], old.fields, today, root)
            tags = tuple(sorted({*old.tags, root}))
        made = package.note(m, fields, tags, old.guid)
        legacy = identity.content_hash(fields, tags, old.subdeck)
        result.wanted.append(Wanted(key, identity.content_hash(fields, tags), package.card_ords(made), also=(legacy,)))
        result.outs.append((deck_id, NoteOut(made, f"{decks[deck_id].name}::{upgrade.RETIRED_SUBDECK}", Assigned(0, 0))))
        result.decks[key] = deck_id
    return result


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def compile_source(
    source: Source, lock: Lock, clock: Clock, previous: Mapping[str, bytes] | None = None,
    progress: Progress = _quiet, leave_out: frozenset[str] = frozenset(),
) -> Compiled:
    """Every file the build writes, and what an import of it does, from source, lock and last build.

    A retired note ships in the version that retires it, however often that version is
    rebuilt; `leave_out` holds those of an older version when this build makes a new one.
    """
    specs = notes_of(source)
    namespace = lock.namespace or identity.LEGACY
    locked_types = lock.note_types
    used = sorted({s.pattern for s in specs})
    versions = {
        p: source.note_types[p].version if p in source.note_types else locked_types[p].version if p in locked_types else 1
        for p in used
    }
    models = {p: package.model(PATTERNS[p], versions[p], namespace, source.read_aloud) for p in used}
    schemas = {p: package.schema(m) for p, m in models.items()}
    refused = upgrade.schema_problems(source, locked_types, models, schemas, versions)
    if refused:
        raise upgrade.SchemaChangeRefused("\n".join(refused) + "\nnothing was written")

    problems: list[Problem] = []
    wanted: list[Wanted] = []
    outs: list[tuple[str, NoteOut]] = []  # (deck id, note) in build order
    due = _curriculum(source, specs)
    for done, spec in enumerate(specs):
        if done % 1000 == 0:
            progress("notes", done, len(specs))
        made = package.note(models[spec.pattern], spec.fields, spec.tags, identity.note_guid(spec.pattern, spec.key, namespace), due[done])
        ords = package.card_ords(made)
        if not ords:
            line, col = spec.fact.mark
            problems.append(Problem(str(source.path), line, col, f"fact '{spec.fact.id}' would make a note with no card; fill in its text"))
        key = f"{spec.pattern}:{spec.key}"
        legacy = identity.content_hash(spec.fields, spec.tags, spec.fact.topic.subdeck)
        wanted.append(Wanted(key, identity.content_hash(spec.fields, spec.tags), ords, also=(legacy,)))
        outs.append((spec.fact.topic.deck, NoteOut(made, spec.fact.topic.subdeck, Assigned(0, 0))))
    if problems:
        raise SourceError(problems)

    today = clock.today()
    live = {w.key for w in wanted}
    old_notes, old_models = _previous(previous or {})
    decks = {d.id: d for d in (*source.decks, *replaced.removed_decks(source, list(lock.decks), old_notes))}
    current = {m.model_id: m for m in models.values()}
    # A retired note ships in the deck version that retires it, however often that version is
    # rebuilt; the next version leaves it out, and only the lock remembers it.
    versions_now = {d: e.version for d, e in lock.decks.items()}
    shipping = {k for k, e in lock.retired.items() if e.version is not None and e.version == versions_now.get(e.deck)} - leave_out
    gone = sorted((set(lock.notes) | shipping) - live)
    guids = {k: e.guid for k, e in (*lock.retired.items(), *lock.notes.items()) if e.guid}
    retiring = _retire(gone, guids, namespace, decks, old_notes, old_models, current, today)
    wanted += retiring.wanted
    outs += retiring.outs

    model_wanted = [
        Wanted(p, identity.content_hash([json.dumps(package.model_content(m), sort_keys=True)]), new_id=m.model_id, version=versions[p], schema=schemas[p])
        for p, m in models.items()
    ]
    plan = identity.plan(lock, wanted, model_wanted, clock)
    all_models = {**current, **retiring.models}
    model_mods = {m.model_id: plan.models[p].mod for p, m in models.items()}
    model_mods.update({model_id: int(old_models[model_id]["mod"]) for model_id in retiring.models})
    outs = [(deck_id, dataclasses.replace(note, assigned=plan.notes[w.key])) for (deck_id, note), w in zip(outs, wanted, strict=True)]

    locked_notes = dict(plan.lock.notes)
    retired = {k: v for k, v in lock.retired.items() if k not in live}
    for key, deck_id in retiring.decks.items():
        n, old = locked_notes.pop(key), retired.get(key)
        retired[key] = Retired(
            n.id, n.hash, n.mod, n.cards, n.guid, deck=deck_id, retired=old.retired if old else today, version=old.version if old else None
        )
    for deck_id, keys in retiring.unshipped.items():
        for key in keys:
            if key in lock.notes:
                n = lock.notes[key]
                retired[key] = Retired(n.id, n.hash, n.mod, n.cards, n.guid, deck=deck_id, retired=today)

    diffs = _diffs(source, decks, lock, plan, outs, wanted, retiring, versions, models, old_notes, old_models)
    files: dict[str, bytes] = {}
    remove: list[str] = []
    lock_decks: dict[str, DeckEntry] = dict(lock.decks)
    progress("notes", len(specs), len(specs))
    for done, deck in enumerate(decks.values()):
        progress("packages", done, len(decks))
        d = diffs[deck.id]
        entry = lock_decks.get(deck.id, DeckEntry())
        if d.changed or d.version_from == 0:
            d.version_to = d.version_from + 1
            entry = DeckEntry(d.version_to, (*entry.changelog, upgrade.changelog_entry(d, today)))
        lock_decks[deck.id] = entry
        text = upgrade.description(deck, entry.changelog)
        notes = [note for deck_id, note in outs if deck_id == deck.id]
        if notes:
            files[d.file] = package.write(deck.name, text, all_models, model_mods, notes)
        else:  # a deck the source no longer has, every note of it live elsewhere or retired before
            remove.append(d.file)
    progress("packages", len(decks), len(decks))
    for key, deck_id in retiring.decks.items():  # the version that retired it, kept after
        if retired[key].version is None:
            retired[key] = dataclasses.replace(retired[key], version=lock_decks[deck_id].version)
    new_lock = Lock(namespace=namespace, note_types=plan.lock.note_types, notes=locked_notes, retired=retired, decks=lock_decks)
    files[lockfile.NAME] = new_lock.dump()
    files[upgrade.CHANGELOG_NAME] = upgrade.changelog_markdown(source.decks, lock_decks)
    notices = tuple(
        f"{lockfile.NAME}: '{c.key}' shared its {'card' if c.card else 'note'} id {c.id} with '{c.kept_by}' (two branches "
        f"allocated it); '{c.key}' gets a new id. Learners keep their notes and reviews: Anki matches notes by GUID"
        for c in plan.reallocated
    )
    if retiring.unshipped.get(""):
        count = len(retiring.unshipped[""])
        notices += (
            f"{count} note{'s' * (count != 1)} the source no longer has {'are' if count != 1 else 'is'} in no package "
            "of the out folder (a removed deck whose package is gone?): recorded as retired, but learners who have "
            f"{'them' if count != 1 else 'it'} keep {'them' if count != 1 else 'it'} untagged",
        )
    bumped = {d.deck for d in diffs.values() if d.version_to > d.version_from}
    older = frozenset(k for k in shipping if lock.retired[k].deck in bumped)
    if older:  # a new version: notes the last one retired are not shipped again (they never change the diff)
        return compile_source(source, lock, clock, previous, progress, leave_out=leave_out | older)
    return Compiled(files, Result(tuple(diffs[d] for d in decks), len(models), notices=notices), tuple(remove))


def _diffs(
    source: Source, decks: Mapping[str, Deck], lock: Lock, plan: identity.Plan, outs: list[tuple[str, NoteOut]],
    wanted: list[Wanted], retiring: _Retiring, versions: Mapping[str, int], models: Mapping[str, genanki.Model],
    old_notes: Mapping[str, tuple[str, OldNote]], old_models: Mapping[int, dict[str, Any]],
) -> dict[str, DeckDiff]:
    """What importing each deck's new package does to a collection holding the last one."""
    locked_types = lock.note_types
    moved = {p for p in versions if p in locked_types and locked_types[p].version != versions[p]}
    ours = {d.id for d in source.decks}
    diffs = {}
    for deck in decks.values():
        version = lock.decks[deck.id].version if deck.id in lock.decks else 0
        diffs[deck.id] = DeckDiff(deck.id, deck.name, f"{deck.id}.apkg", version, version, removed=deck.id not in ours)
    deck_types: dict[str, set[str]] = defaultdict(set)
    fronts: dict[str, str] = {}
    for (deck_id, note), want in zip(outs, wanted, strict=True):
        d = diffs[deck_id]
        fronts[want.key] = note.fields[0]
        d.notes += 1
        d.cards += len(note.assigned.card_ids)
        pattern = want.key.split(":", 1)[0]
        status = plan.status[want.key]
        if want.key in retiring.decks:
            if status == "unchanged":  # retired in this version already, shipped again as it was
                d.unchanged += 1
            else:
                d.retired.append(want.key)
            continue
        deck_types[deck_id].add(pattern)
        last_deck, last = old_notes.get(note.guid, ("", None))
        if last_deck != deck_id and last_deck in diffs and diffs[last_deck].removed:
            diffs[last_deck].moved_out[d.file] = diffs[last_deck].moved_out.get(d.file, 0) + 1
        if last is not None and last.subdeck and last.subdeck != note.subdeck:
            d.regrouped[(last.subdeck, note.subdeck)] = d.regrouped.get((last.subdeck, note.subdeck), 0) + 1
        if pattern in moved and status != "added":  # the learner's note is on the old note type
            d.conflicting.append(want.key)
        elif status == "added":
            d.added.append(want.key)
        elif status == "updated":
            names = [f["name"] for f in models[pattern].fields]
            d.updated.append(NoteChange(want.key, upgrade.field_changes(names, last.fields, note.fields) if last else ()))
        else:
            d.unchanged += 1
    for deck_id, keys in retiring.unshipped.items():
        if deck_id in diffs:
            diffs[deck_id].retired_unshipped += keys
    replaced.name(list(diffs.values()), fronts)
    for deck_id, patterns in deck_types.items():
        for p in sorted(patterns):
            m = models[p]
            if p in moved:
                old_name = package.model(PATTERNS[p], locked_types[p].version, lock.namespace or identity.LEGACY).name
                detail = upgrade.migration_help(old_name, m.name, source.note_types[p].migration)
                diffs[deck_id].types.append(TypeChange(m.name, "new version", detail))
            elif plan.status[p] == "added":
                diffs[deck_id].types.append(TypeChange(m.name, "new", "added"))
            elif plan.status[p] == "updated":
                detail = upgrade.type_change(old_models.get(m.model_id), package.model_content(m))
                diffs[deck_id].types.append(TypeChange(m.name, "in place", detail))
    return diffs


def _stale(out: Path, files: dict[str, bytes], remove: Sequence[str] = ()) -> list[str]:
    """The files whose content differs from what the build would write, or that it removes."""
    stale = [f"{out / name}: its deck is no longer in the source and no note is left in it; a build removes it" for name in remove if (out / name).exists()]
    for name, data in files.items():
        path = out / name
        try:
            existing = path.read_bytes()
        except OSError:
            stale.append(f"{path}: missing")
            continue
        if name.endswith(".apkg"):
            try:
                same = package.holdings(existing) == package.holdings(data)
            except Exception:  # a package we cannot even open is simply stale
                same = False
        else:
            same = existing == data
        if not same:
            stale.append(f"{path}: differs from what {name} would hold now")
    return stale


def check_out(out: Path, source_path: Path) -> None:
    """Refuse an out directory where a build would overwrite the project's own files."""
    if out.is_symlink() and not out.exists():
        raise OutputError(f"--out {out} is a symbolic link to {os.readlink(out)}, which does not exist; create that folder or point --out elsewhere")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder; point --out at a folder for the decks")
    home = source_path.resolve().parent
    if out.resolve() == home or out.resolve() in home.parents:
        raise OutputError(
            f"--out {out} is the folder that holds {source_path.name} (or one above it): a build writes CHANGELOG.md and "
            "packages there and would overwrite the project's own files; use a folder of its own, e.g. --out decks"
        )


def _read_previous(out: Path, source: Source, lock: Lock) -> dict[str, bytes]:
    """The packages in `out` of the source's decks and of every deck the lock has shipped."""
    previous = {}
    for deck_id in dict.fromkeys([*(d.id for d in source.decks), *lock.decks]):
        try:
            previous[deck_id] = (out / f"{deck_id}.apkg").read_bytes()
        except OSError:
            pass
    return previous


class LockMissing(OutputError):
    """Packages are in the out directory but their lock is not."""


def _lock(out: Path, source: Source, recover_lock: bool = False) -> tuple[Lock, str]:
    """The lock in `out`, and what was said of it. None is a first build only when no package
    of the source is there; `recover_lock` rebuilds a lost one from those packages."""
    lock = lockfile.read(out)
    if lock is not None:
        if recover_lock:
            raise OutputError(f"{out / lockfile.NAME} is there; --recover-lock only rebuilds a missing lock, so nothing was written")
        return dataclasses.replace(lock, namespace=_namespace(source, lock.namespace or identity.LEGACY)), ""
    shipped = [f"{out / d.id}.apkg" for d in source.decks if (out / f"{d.id}.apkg").exists()]
    if recover_lock:
        if not shipped:
            raise OutputError(f"{out}/ holds no package of {source.path} to recover the lock from; build without --recover-lock")
        lock, said = recover.recover(source, notes_of(source), out, source.namespace or identity.LEGACY)
        return dataclasses.replace(lock, namespace=_namespace(source, lock.namespace)), said
    if shipped:
        raise LockMissing(
            f"{out / lockfile.NAME} is missing, but {', '.join(shipped)} {'is' if len(shipped) == 1 else 'are'} there. "
            "Building without it would give every note a new mod (overwriting learners' own edits) and start the "
            f"version count again. Restore it (git checkout -- {out / lockfile.NAME}), or rebuild it from the "
            "packages with: cardgen build --recover-lock; nothing was written"
        )
    return Lock(namespace=_namespace(source, None)), ""


def _namespace(source: Source, shipped: str | None) -> str:
    """The project's namespace: as the lock shipped it, or as the source declares it for a first build."""
    declared = source.namespace
    line, column = source.namespace_mark
    if shipped is not None:
        if declared is not None and declared != shipped:
            raise SourceError([Problem(str(source.path), line, column, (
                f"namespace is '{declared}', but the decks were shipped under '{shipped}'; a new namespace gives every note "
                f"and note type a new identity, so learners would get duplicates and lose their reviews. Put back: namespace: {shipped}"
            ))])
        return shipped
    suggestion = f"{source.decks[0].id[:30].strip('.-')}-{secrets.token_hex(3)}"
    if declared is None:
        raise SourceError([Problem(str(source.path), line, column, (
            "a first build needs a namespace, this project's identity in learners' collections: two projects with the same "
            f"one overwrite each other's notes and note types. Add a line, once, and never change it: namespace: {suggestion}"
        ))])
    return declared


def _unchanged(summary: Mapping[str, Any]) -> Result:
    """The result of a build that found nothing to do, from the last build's summary."""
    diffs = tuple(
        DeckDiff(
            d["id"], d["name"], d["file"], d["version"], d["version"], notes=d["notes"], cards=d["cards"], unchanged=d["notes"],
            removed=d.get("removed", False),
        )
        for d in summary["decks"]
    )
    return Result(diffs, note_types=summary["note_types"], up_to_date=True)


@contextmanager
def _no_gc() -> Iterator[None]:
    """A build allocates hundreds of thousands of objects and frees almost none until it
    ends; Python's cycle collector would walk them all again and again (40% of a large
    build's time). They hold no cycles worth collecting before the build is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(
    source_path: Path, out: Path, check: bool = False, progress: Progress = _quiet, *,
    clock: Clock | None = None, cached: bool = True, recover_lock: bool = False,
) -> Result:
    """Build every deck of the source into `out`; with `check`, only say what is stale.

    When source, lock, outputs and tool are exactly as the last build left them, nothing
    is parsed or built: the answer is already known (unless `cached` is off, as in tests
    of what a build does).
    """
    tool_id = stamp.tool(identity.content_hash([json.dumps(package.model_content(package.model(p)), sort_keys=True) for p in PATTERNS.values()]))
    if not check:
        check_out(out, source_path)
    source_bytes = read_bytes(source_path)  # once: what is checked is what is built
    with atomic.exclusive(out, shared=check):
        known = stamp.up_to_date(source_bytes, out, tool_id) if cached and not recover_lock else None
        if known is not None:
            if not check:
                atomic.remove_stale_temps(out, known["files"])
            return _unchanged(known["summary"])
        with _no_gc():
            source = read_source(source_path, source_bytes)
            lock, said = _lock(out, source, recover_lock)
            compiled = compile_source(source, lock, clock or Clock(), _read_previous(out, source, lock), progress)
        r = compiled.result
        if said:
            r = dataclasses.replace(r, notices=(said, *r.notices))
        if check:
            return dataclasses.replace(r, stale=tuple(_stale(out, compiled.files, compiled.remove)))
        written = atomic.write_all(out, compiled.files, last=lockfile.NAME, remove=compiled.remove)
        summary = {
            "note_types": r.note_types,
            "decks": [
                {"id": d.deck, "name": d.name, "file": d.file, "version": d.version_to, "notes": d.notes, "cards": d.cards, "removed": d.removed}
                for d in r.decks
                if d.notes or not d.removed  # a removed deck's package the build removed is no deck of the next
            ],
        }
        try:  # a cache: failing to write it costs the next build time, nothing else
            atomic.write_all(out, {stamp.NAME: stamp.record(source_bytes, compiled.files, summary, tool_id, source.inputs)})
        except (OutputError, OSError):
            pass
    return dataclasses.replace(r, written=tuple(written))


def diff(source_path: Path, out: Path, *, clock: Clock | None = None) -> Result:
    """What a build would change, without writing anything."""
    with _no_gc(), atomic.exclusive(out, shared=True):
        source = read_source(source_path)
        lock = _lock(out, source)[0]
        return compile_source(source, lock, clock or Clock(), _read_previous(out, source, lock)).result

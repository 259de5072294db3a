"""The pipeline: source -> notes -> identity settled against the lock -> packages on disk."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cardgen import identity, package
from cardgen.errors import OutputError, Problem, SourceError
from cardgen.identity import Clock, Wanted
from cardgen.package import NoteOut
from cardgen.patterns import PATTERNS
from cardgen.records import Fact, NoteSpec, Source
from cardgen.validate import read_source


@dataclass(frozen=True)
class DeckSummary:
    id: str
    name: str
    file: str
    notes: int
    cards: int


@dataclass(frozen=True)
class Result:
    decks: tuple[DeckSummary, ...]
    note_types: int
    added: int
    updated: int
    unchanged: int
    removed: int
    stale: tuple[str, ...] = ()  # with check: what differs from the packages on disk
    written: tuple[str, ...] = field(default=())

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


def notes_of(source: Source) -> list[NoteSpec]:
    """Every note the source makes, pattern by pattern, in source order within a pattern."""
    by_pattern: dict[str, list[Fact]] = defaultdict(list)
    for fact in source.facts:
        by_pattern[fact.pattern].append(fact)
    return [note for key, facts in by_pattern.items() for note in PATTERNS[key].notes(facts)]


def compile_source(source: Source, lock: dict[str, object], clock: Clock) -> Compiled:
    specs = notes_of(source)
    models = {key: package.model(PATTERNS[key]) for key in sorted({s.pattern for s in specs})}
    wanted: list[Wanted] = []
    problems: list[Problem] = []
    for spec in specs:
        ords = package.card_ords(models[spec.pattern], spec.fields)
        if not ords:
            line, col = spec.fact.mark
            problems.append(Problem(str(source.path), line, col, f"fact '{spec.fact.id}' would make a note with no card; fill in its text"))
        content = [spec.fields, spec.tags, spec.fact.topic.subdeck]
        wanted.append(Wanted(f"{spec.pattern}:{spec.key}", identity.content_hash(content), ords))
    if problems:
        raise SourceError(problems)
    model_wanted = [Wanted(key, identity.content_hash(package.model_content(m))) for key, m in models.items()]
    plan = identity.plan(lock, wanted, model_wanted, clock)
    model_mods = {key: a.mod for key, a in plan.models.items()}

    by_deck: dict[str, list[NoteOut]] = defaultdict(list)
    for spec, want in zip(specs, wanted):
        by_deck[spec.fact.topic.deck].append(
            NoteOut(
                identity.note_guid(spec.pattern, spec.key),
                spec.pattern,
                spec.fields,
                spec.tags,
                spec.fact.topic.subdeck,
                plan.notes[want.key],
            )
        )
    files: dict[str, bytes] = {}
    summaries = []
    for deck in source.decks:
        notes = by_deck[deck.id]
        file = f"{deck.id}.apkg"
        files[file] = package.write(deck.name, deck.description, models, model_mods, notes)
        cards = sum(len(n.assigned.card_ids) for n in notes)
        summaries.append(DeckSummary(deck.id, deck.name, file, len(notes), cards))
    files[identity.LOCK_NAME] = identity.dump_lock(plan.lock)
    result = Result(tuple(summaries), len(models), plan.added, plan.updated, plan.unchanged, plan.removed)
    return Compiled(files, result)


def _stale(out: Path, files: dict[str, bytes]) -> list[str]:
    """The files whose content differs from what the build would write."""
    stale = []
    for name, data in files.items():
        path = out / name
        try:
            existing = path.read_bytes()
        except OSError:
            stale.append(f"{path}: missing")
            continue
        if name.endswith(".apkg"):
            try:
                same = package.contents(existing) == package.contents(data)
            except Exception:  # a package we cannot even open is simply stale
                same = False
        else:
            same = existing == data
        if not same:
            stale.append(f"{path}: differs from what {name} would hold now")
    return stale


def _write_all(out: Path, files: dict[str, bytes]) -> list[str]:
    """Write each changed file atomically: a temp file beside it, fsync, then rename.

    All temp files are complete before the first rename, so a failure (a full disk, a
    read-only directory) leaves every previous file as it was; the lock is renamed last.
    """
    changed = {}
    for name, data in files.items():
        try:
            if (out / name).read_bytes() == data:
                continue
        except OSError:
            pass
        changed[name] = data
    temps: dict[str, str] = {}
    target = out
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(".*.tmp"):  # left by a build that was killed mid-write
            if any(stale.name.startswith(f".{name}.") for name in files):
                stale.unlink()
        for name, data in changed.items():
            target = out / name
            fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            temps[name] = temp
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)
        for name in sorted(temps, key=lambda n: n == identity.LOCK_NAME):
            target = out / name
            os.replace(temps[name], target)
            del temps[name]
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror}); the previous decks are unchanged") from None
    finally:
        for temp in temps.values():
            try:
                os.unlink(temp)
            except OSError:
                pass
    return sorted(changed)


def build(source_path: Path, out: Path, check: bool = False) -> Result:
    """Build every deck of the source into `out`; with `check`, only say what is stale."""
    source = read_source(source_path)
    compiled = compile_source(source, identity.read_lock(out), Clock())
    r = compiled.result
    if check:
        return Result(r.decks, r.note_types, r.added, r.updated, r.unchanged, r.removed, stale=tuple(_stale(out, compiled.files)))
    written = _write_all(out, compiled.files)
    return Result(r.decks, r.note_types, r.added, r.updated, r.unchanged, r.removed, written=tuple(written))

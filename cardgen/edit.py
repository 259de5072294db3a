"""An edit rebuilt from what the last build made, reading only what the edit touched.

A build leaves a memo beside its stamp: a digest of the lines before the facts and after
them; for each fact a digest of its lines, its id, pattern, topic and the documents it cites;
and every note the patterns made, in order, with its id. When the source has changed only
inside facts, and the lock, packages and documents are as that build left them, the next
build reads the edited facts (each first alone: a quote left open must not run on), and
every fact of a pattern that makes its notes from all its facts at once (one not `per_fact`);
every other fact's lines become comments, so each line and column stays where it was. It
settles their notes against the lock by the same plan, and writes each changed deck from
the rows its package holds and the edited notes, and the lock by replacing their lines: the
bytes a full build writes, as tests/test_edit.py holds it to.

Anything else gets the full build, which says what a full build says: a fact added, removed
or moved, one that changes id, pattern or topic, notes made, lost or reordered, anything
outside the facts edited, a retired note still shipping, an error of any kind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import operator
import re
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

from cardgen import assemble, identity, lockcheck, package, retire, stamp, unpack, upgrade
from cardgen import lock as lockfile
from cardgen.assemble import Compiled, Progress, Result
from cardgen.changes import diffs
from cardgen.identity import Clock
from cardgen.load import load, read_text
from cardgen.lock import DeckEntry, Lock
from cardgen.package import NoteOut
from cardgen.patterns import Registry
from cardgen.records import Fact, Source
from cardgen.unpack import OldNote
from cardgen.validate import check

NAME = ".cardgen-memo.json"
FORMAT = 1
MOST = 0.25  # the share of facts an edit may touch; past it, a full build costs little more
_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # YAML breaks lines at these too; the memo counts "\n" only
_ITEM = re.compile(r" *- +")  # what stands before a fact's first key: the list's dash


class _Split(NamedTuple):
    head: str  # the lines before the first fact
    facts: list[str]  # each fact's lines, with the comments and blank lines after it
    tail: str  # from the first line at the margin after the facts (the key after them) to the end


def _split(text: str, head: int, prefix: str) -> _Split | None:
    """The source cut at its facts' first lines, or None where it cannot be cut so."""
    if any(c in text for c in _BREAKS):  # one C search each: a class of non-ASCII characters is a slow regex
        return None
    at = 0
    for _ in range(head):
        at = text.find("\n", at) + 1
        if not at:
            return None
    tail = re.compile(f"\n(?!{re.escape(prefix)})[^ #\n]").search(text, at - 1)  # the first line at the margin after the facts
    end = tail.start() + 1 if tail else len(text)
    if not text.startswith(prefix, at):
        return None
    starts = [at, *(found.start() + 1 for found in re.compile(re.escape("\n" + prefix)).finditer(text, at, end))]
    bounds = [*starts, end]
    return _Split(text[:at], [text[a:b] for a, b in zip(bounds, bounds[1:])], text[end:])


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _blank(lines: str) -> str:
    """The lines as comments: the YAML reader passes over them, counting them."""
    return "#\n" * lines.count("\n") + "#" * (not lines.endswith("\n"))


def cut(data: bytes, text: str, source: Source) -> dict[str, Any] | None:
    """The memo's part of the source's text, taken before the notes are made so that the text
    is freed while they are (`memo` adds the notes); None for a source it cannot cut at its
    facts' first lines."""
    if not source.facts:
        return None
    first, col = source.facts[0].mark
    prefix = text.split("\n", first)[first - 1][: col - 1]
    split = _split(text, first - 1, prefix) if _ITEM.fullmatch(prefix) else None
    if split is None or len(split.facts) != len(source.facts):
        return None
    if [f.mark for f in source.facts] != [(line, col) for line in _first_lines(split, first)]:
        return None  # a dash inside a text, or a fact written otherwise: not cut at its facts
    cited, citations = _places([_documents(f) for f in source.facts])
    return {
        "format": FORMAT,
        "path": str(source.path.resolve()),  # its documents are found beside it
        "source": hashlib.sha256(data).hexdigest(),
        "head": first - 1,
        "prefix": prefix,
        "around": [_digest(split.head), _digest(split.tail)],
        "facts": {  # each a list, a fact's value at its index
            "ids": [f.id for f in source.facts],
            "patterns": [f.pattern for f in source.facts],
            "topics": [f.topic.id for f in source.facts],
            "digests": [_digest(lines) for lines in split.facts],
            "cited": cited,
        },
        "citations": citations,  # the sets of documents facts cite: "cited" holds each fact's place here
    }


def memo(taken: Mapping[str, Any] | None, made: Sequence[tuple[str, str, str, int]]) -> bytes | None:
    """What the next build needs to rebuild an edit of this source from this build: the
    source's part (`cut`) and the notes made as (pattern, key, fact id, note id), in order."""
    if taken is None:
        return None
    index = {fact_id: i for i, fact_id in enumerate(taken["facts"]["ids"])}
    specs = {}  # pattern -> its notes' keys, facts and ids, in order (a pattern's notes are one run of `made`)
    for pattern, run in itertools.groupby(made, key=operator.itemgetter(0)):
        notes = list(run)
        specs[pattern] = ([n[1] for n in notes], [index[n[2]] for n in notes], [n[3] for n in notes])
    return json.dumps({**taken, "specs": specs}, separators=(",", ":")).encode()


class Rebuilt(NamedTuple):
    compiled: Compiled
    inputs: Mapping[Path, str]  # the documents the last build read, unchanged since
    memo: bytes


def rebuild(
    source_path: Path, data: bytes, out: Path, tool_id: str, *, clock: Clock, progress: Progress, patterns: Registry
) -> Rebuilt | None:
    """The build of the source's bytes `data` from the last build in `out`, or None where
    only a full build can make it (or say what is wrong with it)."""
    try:
        return _rebuild(source_path, data, out, tool_id, clock, progress, patterns)
    except Exception:  # whatever went wrong, the full build does it all again, and says it
        return None


def _rebuild(
    source_path: Path, data: bytes, out: Path, tool_id: str, clock: Clock, progress: Progress, patterns: Registry
) -> Rebuilt | None:
    known = stamp.intact(out, tool_id)
    if known is None:
        return None
    memo = json.loads((out / NAME).read_bytes())
    if memo["format"] != FORMAT or memo["source"] != known["source"] or memo["path"] != str(source_path.resolve()):
        return None  # a memo of another build, or of a source elsewhere
    facts: dict[str, list[Any]] = memo["facts"]
    ids, patterns_of, topics = facts["ids"], facts["patterns"], facts["topics"]
    split = _split(read_text(source_path, data), memo["head"], memo["prefix"])
    if split is None or len(split.facts) != len(ids) or [_digest(split.head), _digest(split.tail)] != memo["around"]:
        return None
    digests = [_digest(lines) for lines in split.facts]
    edited = [i for i, (d, was) in enumerate(zip(digests, facts["digests"])) if d != was]
    if not edited or len(edited) > MOST * len(ids):
        return None
    touched = {patterns_of[i] for i in edited}
    whole = {p for p in touched if not getattr(patterns.get(p), "per_fact", False)}  # patterns whose facts are read together
    read = sorted({*edited, *(i for i, p in enumerate(patterns_of) if p in whole)})
    for i in edited:  # each edited fact's lines read alone: a quote left open would run on through the others' comments
        load(source_path, ("x:\n" + split.facts[i]).encode())
    source = _read(source_path, split, set(read), patterns)
    starts = _first_lines(split, memo["head"] + 1)
    col = len(memo["prefix"]) + 1
    if [(f.id, f.pattern, f.topic.id, f.mark) for f in source.facts] != [
        (ids[i], patterns_of[i], topics[i], (starts[i], col)) for i in read
    ]:
        return None  # a fact that changed id, pattern or topic, or one more or fewer than there were
    index = {fact_id: i for i, fact_id in enumerate(ids)}
    specs = assemble.notes_of(source)
    chosen = set(read)
    for pattern in touched:
        keys, facts_of, _ = memo["specs"].get(pattern, ([], [], []))
        made = [(key, at) for key, at in zip(keys, facts_of) if at in chosen]
        if [(s.key, index[s.fact.id]) for s in specs if s.pattern == pattern] != made:
            return None  # notes made or lost, or made in another order: the curriculum moves
    compiled = _compile(source, out, clock, specs, memo, known, progress)
    if compiled is None:
        return None
    facts["digests"] = digests
    documents = [tuple(memo["citations"][c]) for c in facts["cited"]]
    for i, fact in zip(read, source.facts):
        documents[i] = _documents(fact)
    facts["cited"], memo["citations"] = _places(documents)
    inputs = _inputs(source, {key for keys in memo["citations"] for key in keys}, known["inputs"])
    if inputs is None:
        return None
    memo["source"] = hashlib.sha256(data).hexdigest()
    return Rebuilt(compiled, inputs, json.dumps(memo, separators=(",", ":")).encode())


def _first_lines(split: _Split, first: int) -> list[int]:
    """The line each fact starts at, the first at `first`."""
    return list(itertools.accumulate((lines.count("\n") for lines in split.facts[:-1]), initial=first))


def _documents(fact: Fact) -> tuple[str, ...]:
    if len(fact.sources) == 1:  # most facts
        return (fact.sources[0].document.key,)
    return tuple(sorted({c.document.key for c in fact.sources}))


def _places(documents: list[tuple[str, ...]]) -> tuple[list[int], list[tuple[str, ...]]]:
    """Each fact's documents as a place in a list of the sets of them, each set once, in the
    order facts first cite it: a few sets, not one list a fact."""
    places: dict[tuple[str, ...], int] = {}
    return [places.setdefault(keys, len(places)) for keys in documents], list(places)


def _inputs(source: Source, cited: set[str], known: Mapping[str, str]) -> dict[Path, str] | None:
    """The documents a full build reads, each with its digest: those the facts (`cited`) and
    skips cite, as this build read them or (unchanged since, the stamp says) the last one did."""
    cited = cited | {s.document.key for s in source.skips}
    read = {str(path.resolve()): digest for path, digest in source.inputs.items()}
    inputs = {}
    for key in cited:
        file = source.documents[key].file
        if file is None:
            continue
        found = read.get(str(file.resolve())) or known.get(str(file.resolve()))
        if found is None:
            return None
        inputs[file] = found
    return inputs


def _read(path: Path, split: _Split, read: set[int], patterns: Registry) -> Source:
    """The source with only the facts `read`: the others' lines blanked, every line in place."""
    text = split.head + "".join(lines if i in read else _blank(lines) for i, lines in enumerate(split.facts)) + split.tail
    return check(load(path, text.encode()), path, patterns, whole=False)


def _lock(out: Path, keys: list[str], clock: Clock) -> tuple[str, Lock] | None:
    """The lock as the last build wrote it, and of its notes those of `keys` only; None if it
    holds a mod past the clock (the full build says so)."""
    text = (out / lockfile.NAME).read_bytes().decode()
    latest = max(map(int, re.findall(r'"mod": (\d+)', text)), default=0)
    part = lockfile.excerpt(text, keys)
    if part is None or latest > clock.real + identity.SLACK:
        return None
    lock = lockcheck.parse(part.encode(), out / lockfile.NAME)
    return text, dataclasses.replace(lock, namespace=lock.namespace or identity.LEGACY)


def _compile(
    source: Source, out: Path, clock: Clock, specs: list[Any], memo: Mapping[str, Any], known: Mapping[str, Any], progress: Progress
) -> Compiled | None:
    """What `assemble.compile_source` makes of the whole source, from the notes of the patterns
    read and the notes the packages hold of the rest; None where only it can.

    The stamp holds the lock, packages and memo to one build, so what that build settled holds:
    the lock has exactly the notes the memo names, without two sharing an id; each package
    holds its deck's notes (and, with no retired note shipping, nothing else); the note types
    are unchanged (the tool and the header are). The plan then settles the notes read as a
    full build's plan does, and the rest stay as they were."""
    read = _lock(out, [f"{s.pattern}:{s.key}" for s in specs], clock)
    if read is None:
        return None
    text, lock = read
    versions = {d: e.version for d, e in lock.decks.items()}
    if any(e.version is not None and e.version == versions.get(e.deck) for e in lock.retired.values()):
        return None  # a retired note ships, which the next version must leave out (or a removed deck, once more)
    types = assemble.note_types(source, lock, set(memo["specs"]))
    current = {m.model_id: m for m in types.models.values()}
    wanted, outs = assemble.wanted_notes(source, specs, types, lock, progress)
    if any(not set(w.ords) <= lock.notes[w.key].cards.keys() for w in wanted):  # a new card: its id must miss every other
        whole = lockcheck.read(out)
        assert whole is not None
        lock = dataclasses.replace(whole, namespace=lock.namespace)
    decks = {d.id: d for d in source.decks}
    held = {d: unpack.shipped((out / f"{d}.apkg").read_bytes(), current) for d in {deck for deck, _ in outs}}
    last: dict[str, tuple[str, OldNote]] = {}
    for i, ((deck_id, note), w) in enumerate(zip(outs, wanted)):
        old = held[deck_id][lock.notes[w.key].id].out()
        outs[i] = (deck_id, note._replace(due=old.due))  # the curriculum is as it was: the same notes in the same order
        last[old.guid] = (deck_id, OldNote(old.guid, old.model_id, "\x1f".join(old.fields), " ".join(old.tags), old.subdeck))
    plan = identity.plan(lock, wanted, assemble.type_wants(types), clock)
    outs = [(deck_id, note.settled(plan.notes[w.key])) for (deck_id, note), w in zip(outs, wanted)]
    changed = diffs(source, lock, plan, outs, wanted, retire.Retiring(decks, frozenset()), types, retire.Previous(last, {}))
    new = {plan.notes[w.key].id: note for (_, note), w in zip(outs, wanted)}
    summary = {d["id"]: d for d in known["summary"]["decks"]}
    deck_of = {t.id: d.id for d in source.decks for t in d.topics}
    topics = memo["facts"]["topics"]
    model_mods = {m.model_id: plan.models[p].mod for p, m in types.models.items()}
    entries = dict(lock.decks)
    files: dict[str, bytes] = {}
    for deck in source.decks:
        d, entry = changed[deck.id], entries[deck.id]
        if deck.id not in held:
            d.notes, d.cards, d.unchanged = summary[deck.id]["notes"], summary[deck.id]["cards"], summary[deck.id]["notes"]
            files[d.file] = (out / d.file).read_bytes()
            continue
        ids = [i for _, at, note_ids in memo["specs"].values() for i, f in zip(note_ids, at) if deck_of[topics[f]] == deck.id]
        kept = [held[deck.id][i] for i in ids if i not in new]
        d.notes, d.cards, d.unchanged = d.notes + len(kept), d.cards + sum(len(n.cards) for n in kept), d.unchanged + len(kept)
        if d.changed or d.version_from == 0:
            d.version_to = d.version_from + 1
            entries[deck.id] = entry = DeckEntry(d.version_to, (*entry.changelog, upgrade.changelog_entry(d, clock.today())))
            notes: list[NoteOut | package.Shipped] = [new[i] if i in new else held[deck.id][i] for i in ids]
            files[d.file] = package.write(deck.name, upgrade.description(deck, entry.changelog), current, model_mods, notes)
        else:
            files[d.file] = (out / d.file).read_bytes()
    locked = lockfile.patched(text, plan.lock.notes, entries)
    if locked is None:
        return None
    files[lockfile.NAME] = locked
    files[upgrade.CHANGELOG_NAME] = upgrade.changelog_markdown(source.decks, entries)
    return Compiled(files, Result(tuple(changed[d.id] for d in source.decks), len(types.models), incremental=True))

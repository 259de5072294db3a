"""The pipeline on disk: read the source once, start from the out folder's lock and packages,
assemble every file (`assemble`), then write them all or nothing (`atomic`), or only say what
is stale. A build whose source, lock and outputs are as the last one left them is answered
from its record (`stamp`) without building; one whose source was edited only inside its facts
is made from the last build's files and the edited facts (`edit`)."""

from __future__ import annotations

import dataclasses
import gc
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from cardgen import atomic, edit, identity, package, stamp
from cardgen import lock as lockfile
from cardgen.assemble import Compiled, Progress, Result, compile_source, quiet
from cardgen.errors import OutputError
from cardgen.identity import Clock
from cardgen.load import read_bytes, read_text
from cardgen.outdir import check_out, lock_in, read_previous, stale
from cardgen.patterns import PATTERNS, Registry
from cardgen.upgrade import DeckDiff
from cardgen.validate import read_source


def _unchanged(summary: Mapping[str, Any]) -> Result:
    """The result of a build that found nothing to do, from the last build's summary."""
    diffs = tuple(
        DeckDiff(
            d["id"],
            d["name"],
            d["file"],
            d["version"],
            d["version"],
            notes=d["notes"],
            cards=d["cards"],
            unchanged=d["notes"],
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
    source_path: Path,
    out: Path,
    check: bool = False,
    progress: Progress = quiet,
    *,
    clock: Clock | None = None,
    cached: bool = True,
    recover_lock: bool = False,
    patterns: Registry = PATTERNS,
) -> Result:
    """Build every deck of the source into `out`, its facts read as `patterns` say; with
    `check`, only say what is stale.

    When source, lock, outputs and tool are exactly as the last build left them, nothing
    is parsed or built: the answer is already known; when only facts were edited, only they
    are read (`edit`). With `cached` off, as in tests of what a full build does, neither.
    """
    tool_id = stamp.tool(
        identity.content_hash(
            [json.dumps(package.model_content(package.model(p, css=patterns.css)), sort_keys=True) for p in patterns.values()]
        )
    )
    if not check:
        check_out(out, source_path)
    source_bytes = read_bytes(source_path)  # once: what is checked is what is built
    with atomic.exclusive(out, shared=check):
        known = stamp.up_to_date(source_bytes, out, tool_id) if cached and not recover_lock else None
        if known is not None:
            if not check:
                atomic.remove_stale_temps(out, known["files"])
            return _unchanged(known["summary"])
        clock = clock or Clock()
        with _no_gc():
            rebuilt = (
                edit.rebuild(source_path, source_bytes, out, tool_id, clock=clock, progress=progress, patterns=patterns)
                if cached and not recover_lock
                else None
            )
            memo: bytes | None
            if rebuilt is not None:  # an edit, made from the last build: what a full build would make
                compiled, said, inputs, memo = rebuilt.compiled, "", rebuilt.inputs, rebuilt.memo
            else:
                compiled, said, inputs, memo = _compile(
                    source_path,
                    source_bytes,
                    out,
                    clock=clock,
                    progress=progress,
                    recover_lock=recover_lock,
                    patterns=patterns,
                    memo=not check,
                )
        r = compiled.result
        if said:
            r = dataclasses.replace(r, notices=(said, *r.notices))
        if check:
            return dataclasses.replace(r, stale=tuple(stale(out, compiled.files, compiled.remove)))
        written = atomic.write_all(out, compiled.files, last=lockfile.NAME, remove=compiled.remove)
        summary = {
            "note_types": r.note_types,
            "decks": [
                {
                    "id": d.deck,
                    "name": d.name,
                    "file": d.file,
                    "version": d.version_to,
                    "notes": d.notes,
                    "cards": d.cards,
                    "removed": d.removed,
                }
                for d in r.decks
                if d.notes or not d.removed  # a removed deck's package the build removed is no deck of the next
            ],
        }
        caches = {stamp.NAME: stamp.record(source_bytes, compiled.files, summary, tool_id, inputs)}
        if memo is not None:
            caches[edit.NAME] = memo
        try:  # caches: failing to write them costs the next build time, nothing else
            atomic.write_all(out, caches, remove=[edit.NAME])
        except (OutputError, OSError):
            pass
    return dataclasses.replace(r, written=tuple(written))


def _compile(
    source_path: Path,
    data: bytes,
    out: Path,
    *,
    clock: Clock | None,
    progress: Progress,
    recover_lock: bool,
    patterns: Registry,
    memo: bool = False,
) -> tuple[Compiled, str, Mapping[Path, str], bytes | None]:
    """The build's files, what recovering the lock said, the documents read, and (with `memo`)
    what the next build needs to rebuild an edit from this one. A function of its own so that
    the source, the lock and every note are freed when it returns: the cycle collector, turned
    back on, would otherwise walk them all once more."""
    text = read_text(source_path, data)  # once: the memo reads it too
    source = read_source(source_path, data, patterns, text=text)
    taken = edit.cut(data, text, source) if memo else None
    del text  # freed before the notes are made
    lock, said = lock_in(out, source, recover_lock)
    with package.Zipper() as zipper:  # the packages are zipped while the memo is made
        compiled = compile_source(source, lock, clock or Clock(), read_previous(out, source, lock), progress, zipper)
        made = edit.memo(taken, compiled.made)
        compiled.files.update(zipper.done())
    return compiled, said, source.inputs, made


def diff(source_path: Path, out: Path, *, clock: Clock | None = None, patterns: Registry = PATTERNS) -> Result:
    """What a build would change, without writing anything."""
    with atomic.exclusive(out, shared=True), _no_gc():  # the collector comes back on after _compile has freed all
        compiled, _, _, _ = _compile(
            source_path, read_bytes(source_path), out, clock=clock, progress=quiet, recover_lock=False, patterns=patterns
        )
    return compiled.result

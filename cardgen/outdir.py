"""The out folder a build starts from: where it may write, the packages and the lock already
there (a lost lock is refused, or rebuilt from the packages), and what in it is stale."""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path
from typing import Sequence

from cardgen import identity, lockcheck, recover, unpack
from cardgen import lock as lockfile
from cardgen.assemble import notes_of
from cardgen.errors import OutputError, Problem, SourceError
from cardgen.lock import Lock
from cardgen.records import Source


def check_out(out: Path, source_path: Path) -> None:
    """Refuse an out directory where a build would overwrite the project's own files."""
    if out.is_symlink() and not out.exists():
        raise OutputError(
            f"--out {out} is a symbolic link to {os.readlink(out)}, which does not exist; create that folder or point --out elsewhere"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder; point --out at a folder for the decks")
    home = source_path.resolve().parent
    if out.resolve() == home or out.resolve() in home.parents:
        raise OutputError(
            f"--out {out} is the folder that holds {source_path.name} (or one above it): a build writes CHANGELOG.md and "
            "packages there and would overwrite the project's own files; use a folder of its own, e.g. --out decks"
        )


def read_previous(out: Path, source: Source, lock: Lock) -> dict[str, bytes]:
    """The packages in `out` of the source's decks and of every deck the lock has shipped."""
    previous = {}
    for deck_id in dict.fromkeys([*(d.id for d in source.decks), *lock.decks]):
        try:
            previous[deck_id] = (out / f"{deck_id}.apkg").read_bytes()
        except OSError:
            pass
    return previous


def stale(out: Path, files: dict[str, bytes], remove: Sequence[str] = ()) -> list[str]:
    """The files whose content differs from what the build would write, or that it removes."""
    found = [
        f"{out / name}: its deck is no longer in the source and no note is left in it; a build removes it"
        for name in remove
        if (out / name).exists()
    ]
    for name, data in files.items():
        path = out / name
        try:
            existing = path.read_bytes()
        except OSError:
            found.append(f"{path}: missing")
            continue
        if name.endswith(".apkg"):
            try:
                same = unpack.holdings(existing) == unpack.holdings(data)
            except Exception:  # a package we cannot even open is simply stale
                same = False
        else:
            same = existing == data
        if not same:
            found.append(f"{path}: differs from what {name} would hold now")
    return found


class LockMissing(OutputError):
    """Packages are in the out directory but their lock is not."""


def lock_in(out: Path, source: Source, recover_lock: bool = False) -> tuple[Lock, str]:
    """The lock in `out`, and what was said of it. None is a first build only when no package
    of the source is there; `recover_lock` rebuilds a lost one from those packages."""
    lock = lockcheck.read(out)
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
            raise SourceError(
                [
                    Problem(
                        str(source.path),
                        line,
                        column,
                        (
                            f"namespace is '{declared}', but the decks were shipped under '{shipped}'; a new namespace gives every note "
                            f"and note type a new identity, so learners would get duplicates and lose their reviews. Put back: namespace: {shipped}"
                        ),
                    )
                ]
            )
        return shipped
    suggestion = f"{source.decks[0].id[:30].strip('.-')}-{secrets.token_hex(3)}"
    if declared is None:
        raise SourceError(
            [
                Problem(
                    str(source.path),
                    line,
                    column,
                    (
                        "a first build needs a namespace, this project's identity in learners' collections: two projects with the same "
                        f"one overwrite each other's notes and note types. Add a line, once, and never change it: namespace: {suggestion}"
                    ),
                )
            ]
        )
    return declared

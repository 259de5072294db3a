"""Writing a build's files all or nothing, one build at a time.

Each file goes to a temporary file beside it (fsynced) and is renamed into place; the lock
is renamed last. If any step fails, the files already renamed are put back from hard-link
backups, so the out directory holds the previous build or the new one, never a mix, and
the message says which. A build holds an exclusive lock on the out directory itself
(flock on the directory: no lock file is left behind), so two builds into one directory
are never interleaved. Temporary names are `.<file>.<random>.tmp`, so a build killed
mid-write leaves only files the next build recognises and removes.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from cardgen.errors import OutputError


@contextmanager
def exclusive(out: Path, shared: bool = False) -> Iterator[None]:
    """Hold the out directory for one build (or, `shared`, for reading it whole while no
    build writes); another build there is told so, not queued."""
    if not out.is_dir():  # a first build: the directory is made when the files are written
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{out}/: another cardgen build is writing here; wait for it to finish, then build again") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale_temps(out: Path, names: Iterable[str]) -> None:
    """Temp files a build killed mid-write left beside the files it was writing (files only:
    a directory that happens to have such a name is not ours). Call it holding `exclusive`."""
    prefixes = tuple(f".{name}." for name in names)
    for stale in out.glob(".*.tmp"):
        if stale.name.startswith(prefixes) and stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)


def write_all(out: Path, files: Mapping[str, bytes], last: str = "", remove: Iterable[str] = ()) -> list[str]:
    """Write the files that changed and remove the `remove` ones that are there, all or
    nothing; `last` is renamed after the others. Returns the names written or removed."""
    changed = {}
    for name, data in files.items():
        try:
            if (out / name).read_bytes() == data:
                continue
        except OSError:
            pass
        changed[name] = data
    gone = sorted(name for name in remove if (out / name).exists() and name not in files)
    temps: dict[str, str] = {}
    backups: dict[str, Path] = {}
    renamed: list[str] = []
    target = out
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(out, files)
        for name, data in changed.items():
            target = out / name
            fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            temps[name] = temp
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)
        for name in sorted([*temps, *gone], key=lambda n: n == last):
            target = out / name
            if target.exists():
                backups[name] = out / f".{name}.{secrets.token_hex(6)}.tmp"
                os.link(target, backups[name])
            if name in temps:
                os.replace(temps[name], target)
                del temps[name]
            else:
                os.remove(target)
            renamed.append(name)
    except OSError as exc:
        kept = _roll_back(out, renamed, backups)
        said = (
            "the previous decks are unchanged"
            if kept
            else (f"{', '.join(renamed)} could not be put back: restore {out}/ from version control")
        )
        raise OutputError(f"{target}: cannot write ({exc.strerror}); {said}") from None
    finally:
        for path in [*map(Path, temps.values()), *backups.values()]:
            try:
                os.unlink(path)
            except OSError:
                pass
    return sorted([*changed, *gone])


def _roll_back(out: Path, renamed: list[str], backups: Mapping[str, Path]) -> bool:
    """Put back each file already renamed; True when every one is as it was."""
    whole = True
    for name in reversed(renamed):
        try:
            if name in backups:
                os.replace(backups[name], out / name)
            else:
                (out / name).unlink()
        except OSError:
            whole = False
    return whole

"""Where one build's CPU time goes, stage by stage: what to work on next, not a target.

    python bench/stages.py SOURCE OUT          # a full build (OUT emptied first)
    python bench/stages.py SOURCE OUT --again  # a rebuild onto what OUT holds (an edit's path)

Each stage is one function of the pipeline, timed where it is entered from outside itself
(a recursive one is counted once); "other" is the rest of build(). The up-to-date cache is
bypassed, so the build always runs. Not a test: it wraps the pipeline's functions to time
them, which a test must never do.
"""

from __future__ import annotations

import functools
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

SPENT: dict[str, float] = {}


def timed(owner: Any, name: str, label: str) -> None:
    """Replace owner.name by a wrapper that adds its outermost calls' CPU time to SPENT[label]."""
    inner: Callable[..., Any] = getattr(owner, name)
    depth = 0

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal depth
        depth += 1
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            depth -= 1
            if depth == 0:
                SPENT[label] = SPENT.get(label, 0.0) + time.process_time() - start

    setattr(owner, name, wrapper)


def main(source: Path, out: Path, again: bool) -> None:
    start = time.process_time()
    import yaml

    from cardgen import assemble, atomic, build, edit, identity, load, package, retire, validate
    from cardgen import lock as lockfile

    SPENT["imports"] = time.process_time() - start
    for owner, name, label in (
        (yaml, "compose", "parse: libyaml's composer"),
        (load, "_convert", "parse: nodes to values with their lines"),
        (validate, "check", "validate"),
        (build, "lock_in", "read the lock"),
        (retire.Previous, "read", "read the last packages"),
        (assemble, "notes_of", "the patterns' notes"),
        (assemble, "wanted_notes", "notes: cards, GUIDs, content hashes"),
        (identity, "plan", "identity: ids and mods"),
        (assemble, "diffs", "what an import does (diff)"),
        (package, "filled", "packages: genanki, SQLite rows (indexes, zip: a second thread)"),
        (lockfile.Lock, "dump", "the lock, as JSON"),
        (atomic, "write_all", "writing the files"),
        (edit, "cut", "the memo: the source cut at its facts"),
        (edit, "memo", "the memo: the notes made"),
    ):
        timed(owner, name, label)
    if not again:
        shutil.rmtree(out, ignore_errors=True)
    begun = time.process_time()
    build.build(source, out, cached=False)
    total = time.process_time() - begun + SPENT["imports"]
    SPENT["other"] = total - sum(SPENT.values())
    print(f"{'stage':42} {'CPU s':>6} {'share':>6}")
    for label, seconds in SPENT.items():
        print(f"{label:42} {seconds:6.2f} {seconds / total:6.0%}")
    print(f"{'total':42} {total:6.2f}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), "--again" in sys.argv[3:])

"""The up-to-date check: skip the build when source, lock and tool are as last built.

After each build a small cache file beside the decks records the digest of the source it
read, the tool's version, and the digest of every file it wrote (the lock among them). If
all still match, building again would change nothing, and `build` and `build --check` are
done without parsing the source. A cache, not a record: it is not committed, and without
it (a fresh clone) the build simply does the full work. Light on purpose: no YAML, no
genanki.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

from cardgen import __version__

NAME = ".cardgen-build.json"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tool(note_types: str) -> str:
    """The tool as it runs: its version, its code, and the note types it would write.

    The code's digest catches a change made without a new version; the note types' catch
    one made at run time (a test restyling the cards, say).
    """
    code = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.suffix in (".py", ".html"):
            code.update(path.read_bytes())
    return f"{__version__}+{code.hexdigest()[:16]}+{note_types[:16]}"


def record(source: bytes, files: Mapping[str, bytes], summary: Any, tool_id: str, inputs: Mapping[Path, str] | None = None) -> bytes:
    """The cache file's content for a build that read `source` and wrote `files`; `inputs`
    are the digests of the documents it cites (quotes are checked against them) as the build
    read them, so a document saved during the build is not taken for what was built."""
    stamp = {
        "summary": summary,
        "files": {name: _digest(data) for name, data in sorted(files.items())},
        "inputs": {str(path.resolve()): digest for path, digest in sorted((inputs or {}).items())},
        "source": _digest(source),
        "tool": tool_id,
    }
    return (json.dumps(stamp, indent=1, sort_keys=True) + "\n").encode()


def up_to_date(source: bytes, out: Path, tool_id: str) -> Any | None:
    """The last build's record (its summary and files), if building now would change nothing."""
    return intact(out, tool_id, source)


def intact(out: Path, tool_id: str, source: bytes | None = None) -> Any | None:
    """The last build's record, if this tool made it and every file it wrote and every
    document it read is as it was then; with `source`, only if it read those bytes too
    (checked first: a changed source costs no file read)."""
    try:
        stamp = json.loads((out / NAME).read_bytes())
        if stamp.get("tool") != tool_id or "source" not in stamp or (source is not None and stamp["source"] != _digest(source)):
            return None
        for name, want in stamp.get("files", {}).items():
            if _digest((out / name).read_bytes()) != want:
                return None
        for name, want in stamp.get("inputs", {}).items():
            if _digest(Path(name).read_bytes()) != want:
                return None
        return stamp if "summary" in stamp else None
    except (OSError, ValueError, AttributeError, TypeError):
        return None

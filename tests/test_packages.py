"""The packages already in the out directory, as a careless or hostile hand left them:
`build --check` notices anything a learner's collection would see, and no command inflates
a zip bomb."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from conftest import T0, build_at, run

from cardgen import unpack


def _rezip(path: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    change(entries)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _sql(*statements: str) -> Callable[[dict[str, bytes]], None]:
    def change(entries: dict[str, bytes]) -> None:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(entries["collection.anki2"])
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        entries["collection.anki2"] = conn.serialize()
        conn.close()

    return change


def _evil_media(entries: dict[str, bytes]) -> None:
    entries["media"] = json.dumps({"0": "_evil.js"}).encode()
    entries["0"] = b"alert(1)"


def _latex(entries: dict[str, bytes]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.deserialize(entries["collection.anki2"])
    (models,) = conn.execute("SELECT models FROM col").fetchone()
    data = json.loads(models)
    for model in data.values():
        model["latexPre"] = "\\input{/etc/passwd}"
    conn.execute("UPDATE col SET models = ?", (json.dumps(data),))
    conn.commit()
    entries["collection.anki2"] = conn.serialize()
    conn.close()


TAMPERING = {
    "extra media": _evil_media,
    "a LaTeX preamble": _latex,
    "a card's position": _sql("UPDATE cards SET due = due + 1000 WHERE id = (SELECT min(id) FROM cards)"),
    "a suspended card": _sql("UPDATE cards SET queue = -1 WHERE id = (SELECT min(id) FROM cards)"),
    "a browser template": _sql('UPDATE col SET models = replace(models, \'"bqfmt": ""\', \'"bqfmt": "x"\')'),
}


@pytest.mark.parametrize("name", TAMPERING)
def test_check_notices_anything_a_collection_would_see(name: str, small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    (out / ".cardgen-build.json").unlink()
    package = out / "bones.apkg"
    before = package.read_bytes()
    _rezip(package, TAMPERING[name])
    assert unpack.holdings(package.read_bytes()) != unpack.holdings(before), "the tampering changed nothing a collection holds"
    result = run("build", "--check", "--source", small, "--out", out)
    assert result.exit_code == 1 and f"{package}: differs" in result.output, (name, result.output)


def test_a_zip_bomb_in_the_out_directory_is_never_inflated(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A collection padded with 256 MiB of zeros (a quarter MiB compressed), against a limit
    lowered to 32 MiB so the test stays quick: no command holds more than the limit."""
    monkeypatch.setattr(unpack, "MAX_ENTRY", 32 * 1024 * 1024)
    out = tmp_path / "decks"
    build_at(small, out, T0)
    (out / ".cardgen-build.json").unlink()
    package = out / "bones.apkg"
    with zipfile.ZipFile(package) as archive:
        collection = archive.read("collection.anki2")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("media", b"{}")
        with archive.open("collection.anki2", "w", force_zip64=True) as entry:
            entry.write(collection)
            block = bytes(16 * 1024 * 1024)
            for _ in range(16):
                entry.write(block)
    package.write_bytes(buffer.getvalue())
    assert package.stat().st_size < 2 * 1024 * 1024
    import tracemalloc

    tracemalloc.start()
    try:
        for command in (["build", "--check"], ["diff"]):
            result = run(*command, "--source", small, "--out", out)
            assert "Traceback" not in result.output
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80 * 1024 * 1024, peak

"""Output faults on a real file system: read-only, full, and a build killed mid-write.

The previous packages and lock must stay byte-identical and importable, and no temporary
file may be left behind. Mounting a small file system needs root; where the machine does
not allow it, those two tests say so and skip.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ROOT, build, copy_source, run
from engine import import_package, open_collection, render_problems


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a small file system: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def edit(source: Path) -> None:
    source.write_text(source.read_text().replace("Our vital organs", "Our vital organs, edited"))


def assert_importable(out: Path, where: Path) -> None:
    col = open_collection(where)
    try:
        for apkg in sorted(out.glob("*.apkg")):
            assert import_package(col, apkg).new > 0
        assert render_problems(col) == []
    finally:
        col.close()


def test_a_read_only_out_dir_keeps_the_previous_decks(small: Path, small_fs: Path, tmp_path: Path) -> None:
    out = small_fs / "decks"
    build(small, out)
    before = files(out)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    edit(small)
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert "cannot write (Read-only file system); the previous decks are unchanged" in result.output
    assert files(out) == before
    assert_importable(out, tmp_path / "anki")


def test_a_full_disk_keeps_the_previous_decks_and_leaves_no_temp_file(small: Path, small_fs: Path, tmp_path: Path) -> None:
    out = small_fs / "decks"
    build(small, out)
    before = files(out)
    fd = os.open(small_fs / "filler", os.O_WRONLY | os.O_CREAT)
    try:  # take every free block
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    edit(small)
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "previous decks are unchanged" in result.output
    assert files(out) == before
    assert_importable(out, tmp_path / "anki")


def test_a_build_killed_mid_write_leaves_whole_files_and_the_next_build_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the killed builds and the reference agree on mods
    source = copy_source(ROOT / "source.yaml", tmp_path)
    out = tmp_path / "decks"
    build(source, out)
    old = files(out)
    assert old
    edited = re.sub(r'(\n    answer: "[^"]*)"', r'\1 (edited)"', source.read_text(), count=1)
    assert edited != source.read_text()
    source.write_text(edited)
    shutil.copytree(out, tmp_path / "new")
    build(source, tmp_path / "new")
    new = files(tmp_path / "new")
    assert new != old
    command = [sys.executable, "-m", "cardgen", "build", "--source", str(source), "--out", str(out)]
    # A sweep across the whole run, dense where the files are written (near its end).
    for delay in (0.05, 0.1, *(0.16 + 0.012 * i for i in range(16)), 0.6):
        shutil.rmtree(out)
        out.mkdir()
        for name, data in old.items():
            (out / name).write_bytes(data)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        for name in old:
            assert (out / name).read_bytes() in (old[name], new[name]), f"{name} is torn after a kill at {delay}s"
        assert_importable(out, tmp_path / f"anki-{delay}")
    # Whatever a kill left behind, as a kill between open and rename leaves it:
    (out / ".bone-health-ms.apkg.k1lled.tmp").write_bytes(new["bone-health-ms.apkg"][:100])
    (out / ".cardgen.lock.json.k1lled.tmp").write_bytes(b"{")
    build(source, out)
    assert files(out) == new, "the next build completes the job and removes the killed build's temp files"

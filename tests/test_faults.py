"""Output faults on a real file system: read-only, full, and a build killed mid-write.

The previous packages and lock must stay byte-identical and importable, and no temporary
file may be left behind. Mounting a small file system needs root; where the machine does
not allow it, those two tests say so and skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest
from conftest import FIXTURES, ROOT, T0, build, build_at, copy_source, run
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


class _Faulty:
    """The os module as cardgen.atomic sees it, failing (or killing the process) at one step.

    Steps are the calls that touch the disk: fsync, chmod, link, replace and remove, in order.
    """

    STEPS = ("fsync", "chmod", "link", "replace", "remove")

    def __init__(self, at: int | None, kill: bool = False) -> None:
        self.at, self.kill, self.count = at, kill, 0

    def __getattr__(self, name: str) -> object:
        real = getattr(os, name)
        if name not in self.STEPS:
            return real

        def step(*args: object) -> object:
            self.count += 1
            if self.count == self.at:
                if self.kill:
                    os.kill(os.getpid(), signal.SIGKILL)
                raise OSError(28, "No space left on device")
            return real(*args)

        return step


def _text_edit(text: str) -> str:
    return text.replace("Our vital organs", "Our vital organs (edited)")


def _deck_id_edit(text: str) -> str:
    """The second deck under a new id: its package is written anew and the old one removed."""
    return text.replace("  - id: b12\n", "  - id: vitamin-b12\n")


def _versions(tmp_path: Path, change: Callable[[str], str] = _text_edit) -> tuple[Path, Path, dict[str, bytes], dict[str, bytes]]:
    """A source built once (old) and the files an edit of it builds (new)."""
    source = copy_source(FIXTURES / "small.yaml", tmp_path)
    out = tmp_path / "decks"
    build_at(source, out, T0)
    for cache in (".cardgen-build.json", ".cardgen-memo.json"):
        (out / cache).unlink()
    old = files(out)
    source.write_text(change(source.read_text()))
    shutil.copytree(out, tmp_path / "new")
    build_at(source, tmp_path / "new", T0 + 60)
    for cache in (".cardgen-build.json", ".cardgen-memo.json"):
        (tmp_path / "new" / cache).unlink()
    return source, out, old, files(tmp_path / "new")


@pytest.mark.parametrize("change", [_text_edit, _deck_id_edit], ids=["a fact edited", "a deck's package removed"])
def test_a_failure_at_any_write_step_leaves_every_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[str], str]
) -> None:
    """All or nothing: a failure after some files were renamed or removed puts them back."""
    from cardgen import atomic
    from cardgen.build import build as build_decks
    from cardgen.errors import OutputError
    from cardgen.identity import Clock

    source, out, old, new = _versions(tmp_path, change)
    assert change is _text_edit or ("b12.apkg" in old and "b12.apkg" not in new)
    counter = _Faulty(None)
    monkeypatch.setattr(atomic, "os", counter)
    build_decks(source, tmp_path / "new", clock=Clock(now=T0 + 60, real=T0 + 60), cached=False)  # nothing to write there
    shutil.copytree(out, tmp_path / "count")
    build_decks(source, tmp_path / "count", clock=Clock(now=T0 + 60, real=T0 + 60), cached=False)
    steps = counter.count
    assert steps >= 3 * 4  # three changed files (two packages and the lock), the cache too
    for at in range(1, steps + 1):
        shutil.rmtree(out)
        out.mkdir()
        for name, data in old.items():
            (out / name).write_bytes(data)
        monkeypatch.setattr(atomic, "os", _Faulty(at))
        try:
            build_decks(source, out, clock=Clock(now=T0 + 60, real=T0 + 60), cached=False)
            failed = ""
        except OutputError as error:
            failed = str(error)
        written = files(out)
        written.pop(".cardgen-build.json", None)
        written.pop(".cardgen-memo.json", None)  # the caches, written last
        if failed:  # the decks failed: all of them as they were, and the message says so
            assert written == old, f"a failure at step {at} of {steps} left a mix"
            assert "the previous decks are unchanged" in failed
        else:  # only the cache failed, after the decks: a cache costs time, nothing else
            assert written == new
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")], f"a temp file after step {at}"


def test_a_build_killed_at_any_write_step_leaves_whole_files_and_the_next_build_finishes(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up: each file is whole (old or new), and the next build
    removes what the killed one left and completes the job."""
    source, out, old, new = _versions(tmp_path)
    script = (
        "import sys; from cardgen import atomic, identity; sys.path.insert(0, {tests!r}); from test_faults import _Faulty;"
        "atomic.os = _Faulty({at}, kill=True); from cardgen.build import build;"
        "build(__import__('pathlib').Path({source!r}), __import__('pathlib').Path({out!r}),"
        " clock=identity.Clock(now={now}, real={now}), cached=False)"
    )
    for at in range(1, 13):
        shutil.rmtree(out)
        out.mkdir()
        for name, data in old.items():
            (out / name).write_bytes(data)
        code = script.format(tests=str(ROOT / "tests"), at=at, source=str(source), out=str(out), now=T0 + 60)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT)
        assert done.returncode == -signal.SIGKILL, (at, done.stderr.decode()[-500:])
        for name in old:
            assert (out / name).read_bytes() in (old[name], new[name]), f"{name} is torn after a kill at step {at}"
        assert_importable(out, tmp_path / f"anki-{at}")
        build_at(source, out, T0 + 60)
        written = files(out)
        written.pop(".cardgen-build.json")
        written.pop(".cardgen-memo.json")
        assert written == new, f"the build after a kill at step {at} did not finish the job"


def test_a_second_build_into_the_same_folder_is_told_to_wait(small: Path, tmp_path: Path) -> None:
    """The first build holds the out folder (flock on the folder itself); a second one is
    refused before it reads anything, and `--check` does not read a half-written folder."""
    import fcntl

    out = tmp_path / "decks"
    build(small, out)
    before = files(out)
    small.write_text(small.read_text().replace("Our vital organs", "Our vital organs!"))
    holder = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        for command in (["build"], ["build", "--check"], ["diff"]):
            result = run(*command, "--source", small, "--out", out)
            assert result.exit_code == 1 and "another cardgen build is writing here" in result.output, result.output
    finally:
        os.close(holder)
    assert files(out) == before
    assert run("build", "--source", small, "--out", out).exit_code == 0


def test_check_leaves_another_builds_temp_files_alone(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build(small, out)
    busy = out / ".bones.apkg.w0rking.tmp"
    busy.write_bytes(b"another build's half-written package")
    assert run("build", "--check", "--source", small, "--out", out).exit_code == 0
    assert busy.exists()


def test_a_file_saved_during_a_build_is_built_again_next_time(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build reads the source and each document once, and its cache records what it
    read; an edit saved meanwhile is not mistaken for what was built."""
    import cardgen.build as build_module

    real = build_module.read_source
    document = small.parent / "sources" / "ms-bone.txt"
    for saved in (small, document):

        def save_meanwhile(
            path: Path, data: bytes | None = None, patterns: object = None, text: str | None = None, saved: Path = saved
        ) -> object:
            parsed = real(path, data, patterns, text)  # type: ignore[arg-type]
            saved.write_text(saved.read_text() + "\n# saved meanwhile\n")
            return parsed

        out = tmp_path / f"decks-{saved.name}"
        monkeypatch.setattr(build_module, "read_source", save_meanwhile)
        assert run("build", "--source", small, "--out", out).exit_code == 0
        monkeypatch.setattr(build_module, "read_source", real)
        again = run("build", "--source", small, "--out", out)
        assert again.exit_code == 0 and "is up to date" not in again.output, (saved, again.output)

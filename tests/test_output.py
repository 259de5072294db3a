"""Writing: atomic, clean, and nothing left behind on a real file system."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build, run

WRITTEN = [
    ".cardgen-build.json",
    ".cardgen-memo.json",
    "CHANGELOG.md",
    "b12.apkg",
    "bones.apkg",
    "cardgen.lock.json",
]  # a build of small.yaml


def test_a_build_leaves_no_temporary_file_anywhere(small: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "decks"
    env = {**os.environ, "TMPDIR": str(temp)}
    for _ in range(2):  # a fresh build and a rebuild over it
        subprocess.run(
            [sys.executable, "-m", "cardgen", "build", "--source", str(small), "--out", str(out)],
            env=env,
            check=True,
            capture_output=True,
        )
    assert list(temp.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == WRITTEN


def test_an_unchanged_rebuild_touches_nothing(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build(small, out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = build(small, out)
    assert "is up to date: source, lock and decks are as the last build left them" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_an_out_dir_that_cannot_be_made_is_a_clear_error(small: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "decks"
    blocker.write_text("a file where the out dir should be")
    result = run("build", "--source", small, "--out", blocker / "sub")
    assert result.exit_code == 1
    assert f"{blocker / 'sub'}" in result.output and "Not a directory" in result.output
    assert "Traceback" not in result.output
    assert blocker.read_text() == "a file where the out dir should be"


def test_a_failed_write_keeps_the_previous_files_and_leaves_no_temp_file(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build(small, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # A package's place is taken by a directory: all files are written to temp files
    # first, the first rename fails, and nothing else may have been replaced.
    text = small.read_text()
    small.write_text(text.replace("Our vital organs", "Our vital organs (edited)").replace("osteoblasts]]", "osteoblasts]] (edited)"))
    (out / "bones.apkg").unlink()
    (out / "bones.apkg").mkdir()
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert "bones.apkg: cannot write" in result.output and "previous decks are unchanged" in result.output
    assert sorted(p.name for p in out.iterdir()) == WRITTEN
    assert (out / "b12.apkg").read_bytes() == before["b12.apkg"]
    assert (out / "cardgen.lock.json").read_bytes() == before["cardgen.lock.json"]


def test_the_up_to_date_check_notices_any_change_it_must(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build(small, out)
    assert "is up to date" in build(small, out).output
    (out / "bones.apkg").unlink()  # an output gone
    assert "wrote to" in build(small, out).output and (out / "bones.apkg").exists()
    (out / "cardgen.lock.json").write_text((out / "cardgen.lock.json").read_text() + " ")  # a lock touched
    assert "wrote to" in build(small, out).output
    small.write_text(small.read_text() + "\n# a comment\n")  # the source touched, cards not
    result = build(small, out)
    assert "wrote to" in result.output and "unchanged since v1" in result.output


@pytest.mark.parametrize("terminal", [True, False], ids=["a terminal", "piped"])
def test_a_progress_bar_on_a_terminal_and_none_when_piped(terminal: bool, small: Path, tmp_path: Path) -> None:
    """A real build, reporting to a real terminal (a pseudo-terminal) or to a file, with the
    bar's one-second wait set to none so that a small build would show it."""
    from cardgen.build import build as build_decks
    from cardgen.cli import _Progress

    reader, writer = os.openpty() if terminal else (None, os.open(tmp_path / "stderr.txt", os.O_RDWR | os.O_CREAT))
    try:
        with os.fdopen(os.dup(writer), "w") as stream:
            progress = _Progress(True, stream=stream, after=0)
            build_decks(small, tmp_path / "decks", progress=progress, cached=False)
            progress.close()
        shown = os.read(reader, 65536).decode() if reader is not None else (tmp_path / "stderr.txt").read_text()
    finally:
        for fd in (reader, writer):
            if fd is not None:
                os.close(fd)
    assert ("cardgen: notes" in shown and "cardgen: packages" in shown) if terminal else shown == ""


def test_no_progress_bar_when_piped(tmp_path: Path) -> None:
    from conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-m", "cardgen", "build", "--source", str(ROOT / "source.yaml"), "--out", str(tmp_path / "decks")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    assert "wrote to" in done.stdout


@pytest.mark.parametrize("out", ["", ".", "..", "{project}"])
def test_a_build_never_writes_into_the_project_folder(out: str, small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out .` once overwrote the project's own CHANGELOG.md."""
    project = small.parent
    monkeypatch.chdir(project)
    (project / "CHANGELOG.md").write_text("the project's own changelog\n")
    before = sorted(p.name for p in project.iterdir())
    result = run("build", "--source", small, "--out", out.format(project=project) if out else out)
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
    assert "--out" in result.output
    assert (project / "CHANGELOG.md").read_text() == "the project's own changelog\n"
    assert sorted(p.name for p in project.iterdir()) == before


def test_a_dangling_link_or_a_folder_named_like_a_temp_file_gets_a_clear_answer(small: Path, tmp_path: Path) -> None:
    link = tmp_path / "gone"
    link.symlink_to(tmp_path / "nowhere")
    result = run("build", "--source", small, "--out", link)
    assert result.exit_code == 1 and "does not exist; create that folder" in result.output
    out = tmp_path / "decks"
    (out / ".bones.apkg.x1y2.tmp").mkdir(parents=True)
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / ".bones.apkg.x1y2.tmp").is_dir()

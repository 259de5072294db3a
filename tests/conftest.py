from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
from anki.collection import Collection
from click.testing import CliRunner, Result

from cardgen.cli import cli
from cardgen.patterns import Registry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def documents_beside(folder: Path) -> None:
    """Copy the documents the sources cite (sources/*.txt) into `folder`, as a project keeps them."""
    if not (folder / "sources").exists():
        shutil.copytree(ROOT / "sources", folder / "sources")


def copy_source(source: Path, folder: Path) -> Path:
    """A private copy of a source and the documents it cites, free to edit."""
    path = folder / "source.yaml"
    shutil.copy(source, path)
    documents_beside(folder)
    return path


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    """A learner's real Anki collection in the test's folder, closed after the test."""
    from engine import open_collection

    collection = open_collection(tmp_path / "anki")
    try:
        yield collection
    finally:
        collection.close()


def edit(source: Path, old: str, new: str) -> None:
    """Replace the first `old` in a source, which must hold it."""
    text = source.read_text()
    assert old in text, old
    source.write_text(text.replace(old, new, 1))


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A private copy of the small two-deck source, free to edit."""
    return copy_source(FIXTURES / "small.yaml", tmp_path)


def build(source: Path, out: Path) -> Result:
    result = run("build", "--source", source, "--out", out)
    assert result.exit_code == 0, result.output
    return result


def build_at(source: Path, out: Path, now: int) -> None:
    """Build as the clock says `now`, and really build: the up-to-date cache never answers."""
    from cardgen.build import build as build_decks
    from cardgen.identity import Clock

    build_decks(source, out, clock=Clock(now=now, real=now), cached=False)


def registry(*replacing: object, css: str | None = None) -> Registry:
    """The built-in patterns, with each given one in place of the one with its key, and
    optionally another card style: a registry of the test's own, passed in, never patched."""
    from cardgen.patterns import PATTERNS, Registry

    by_key = {getattr(p, "key"): p for p in replacing}
    return Registry(*(by_key.get(p.key, p) for p in PATTERNS.values()), css=PATTERNS.css if css is None else css)  # type: ignore[arg-type]


def build_with(source: Path, out: Path, patterns: Registry) -> str:
    """Build with a registry of the test's own (the command line has the built-in one only),
    and say what `cardgen build` would of each deck."""
    from cardgen.build import build as build_decks
    from cardgen.upgrade import report

    return report(build_decks(source, out, patterns=patterns).decks)


T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC: a build time tests pass in


SUMMARY: list[str] = []  # lines a test wants in CI's log whatever the outcome (the accessibility counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("accessibility")
        for line in SUMMARY:
            terminalreporter.write_line(line)

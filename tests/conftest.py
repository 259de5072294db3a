from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cardgen.cli import cli

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


T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC: a build time tests pass in


SUMMARY: list[str] = []  # lines a test wants in CI's log whatever the outcome (the accessibility counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("accessibility")
        for line in SUMMARY:
            terminalreporter.write_line(line)

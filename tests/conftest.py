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


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A private copy of the small two-deck source, free to edit."""
    path = tmp_path / "source.yaml"
    shutil.copy(FIXTURES / "small.yaml", path)
    return path


def build(source: Path, out: Path) -> Result:
    result = run("build", "--source", source, "--out", out)
    assert result.exit_code == 0, result.output
    return result

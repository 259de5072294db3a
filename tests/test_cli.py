"""The command line as a user meets it: help, version, exit codes, and the README."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from cardgen import __version__
from cardgen.cli import cli
from conftest import ROOT, run

COMMANDS = sorted(cli.commands)  # type: ignore[attr-defined]


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"cardgen {name}" in (ROOT / "README.md").read_text()


def test_usage_errors_exit_2() -> None:
    assert run("build", "--no-such-option").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "cardgen", "--help"], capture_output=True, text=True, check=True)
    assert "Usage: cardgen" in result.stdout


def test_validate_reports_the_bundled_source_ok() -> None:
    result = run("validate", "--source", ROOT / "source.yaml")
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def test_the_committed_decks_are_up_to_date() -> None:
    result = run("build", "--check", "--source", ROOT / "source.yaml", "--out", ROOT / "decks")
    assert result.exit_code == 0, result.output


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "cardgen build" in first_block.splitlines()[0]
    assert "pytest" in first_block.splitlines()[1]
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def test_group_help_lists_exit_codes() -> None:
    result = run("--help")
    assert "Exit codes: 0 ok, 1 invalid data or failed build, 2 usage error." in click.unstyle(result.output)

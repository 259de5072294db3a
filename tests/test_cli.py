"""The command line as a user meets it: help, version, exit codes, and the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import ROOT, run

from cardgen import __version__
from cardgen.cli import cli

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


def test_the_command_reference_is_made_from_the_commands_themselves() -> None:
    """The README's table and docs/cli-reference.md are cog's output from each --help."""
    done = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md", "docs/cli-reference.md"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr + "\nrun: cog -r README.md docs/cli-reference.md"


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


@pytest.mark.parametrize("command", ["validate", "build", "lint", "sources", "stats"])
def test_a_hostile_source_cannot_drive_the_terminal(command: str, tmp_path: Path) -> None:
    """Escape sequences in a key (clear the screen, print a fake "ok"), C1 controls and a
    bidirectional override are shown written out, never sent to the terminal as they are."""
    source = tmp_path / "source.yaml"
    source.write_text('format: 2\n"evil\\e[2J\\e[Hok \\x9b31m \\u202egnp.exe": 1\n', encoding="utf-8")
    result = run(command, "--source", source)
    assert result.exit_code == 1
    assert not re.search(r"[\x1b\x9b\u202e]", result.output), repr(result.output)
    assert "evil\\u001b[2J\\u001b[Hok \\u009b31m \\u202egnp.exe" in result.output

"""The bundled deck in the real Anki desktop reviewer (scripts/desktop_screenshots.py), and its checks failing.

Anki desktop (`aqt`, with its Qt) lives in its own venv so that it cannot change the engine the
other tests use: .venv-aqt/, made by .ci/run, or the python that CARDGEN_AQT_PYTHON names.
"""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

AQT_PYTHON = Path(os.environ.get("CARDGEN_AQT_PYTHON") or ROOT / ".venv-aqt" / "bin" / "python")
SCRIPT = ROOT / "scripts" / "desktop_screenshots.py"
VIEWS = [f"reviewer-{w}-{t}-{s}" for t in ("light", "night") for w in ("narrow", "wide") for s in ("question", "answer")]

pytestmark = pytest.mark.desktop

if not AQT_PYTHON.exists() and not os.environ.get("CI"):
    pytest.skip(f"no Anki desktop at {AQT_PYTHON}: .ci/run shows how to make .venv-aqt", allow_module_level=True)


def reviewer(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AQT_PYTHON), str(SCRIPT), "--out", str(tmp_path / "shots"), "--work", str(tmp_path / "work"), "--timeout", "150", *args],
        capture_output=True,
        text=True,
        timeout=200,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_deck_passes_in_the_real_reviewer(tmp_path: Path) -> None:
    done = reviewer(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checks passed in 8 views" in done.stdout
    shots = sorted((tmp_path / "shots").iterdir())
    assert len(shots) == 8
    for path in shots:
        width, _ = png_size(path)
        assert width == (400 if "-narrow-" in path.name else 1000), path.name
        assert path.stat().st_size > 10_000, f"{path.name} is too small to show a card"
    assert (tmp_path / "work" / "anki" / "cardgen" / "collection.anki2").exists()  # Anki's files stayed in --work


@pytest.mark.parametrize(
    ("css", "message", "views"),
    [
        (".card { width: 800px; max-width: none; }", "horizontal overflow: the page is", "-narrow-"),
        (".prompt { font-size: 12px; }", "div.prompt text is 12 px, under 16 px", "-"),
        (".nightMode.card { background-color: #fdfdfd !important; color: #1d1d1f !important; }", "night mode not applied", "-night-"),
    ],
    ids=["fixed 800px width", "12px prompt", "light colours in night mode"],
)
def test_a_broken_card_fails_its_check(tmp_path: Path, css: str, message: str, views: str) -> None:
    done = reviewer(tmp_path, "--card-css", css)
    assert done.returncode == 1, done.stdout + done.stderr
    failures = [line.strip() for line in done.stdout.splitlines() if line.startswith("  reviewer-")]
    assert failures, done.stdout + done.stderr
    assert all(views in line.split(":")[0] for line in failures), failures  # only the views it breaks
    assert sum(message in line for line in failures) == sum(views in name for name in VIEWS), failures


def test_the_readme_shows_the_real_reviewer() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ("reviewer-narrow-light-answer", "reviewer-narrow-night-answer", "reviewer-wide-light-answer"):
        path = ROOT / "docs" / "screenshots" / f"{name}.png"
        assert f"docs/screenshots/{name}.png" in readme
        assert png_size(path)[0] == (400 if "-narrow-" in name else 1000), "run: scripts/desktop_screenshots.py --out docs/screenshots"

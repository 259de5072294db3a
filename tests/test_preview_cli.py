"""cardgen preview without a browser: what needs no Chromium runs wherever the tests do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run


def test_without_the_engine_preview_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['anki'] = None; sys.modules['anki.collection'] = None\n"
        "from cardgen.cli import cli; cli(['preview', '--source', sys.argv[1], '--out', sys.argv[2]])"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "source.yaml"), str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 1
    assert "pip install 'cardgen[preview]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_gallery_holds_every_card_side_the_engine_renders(small: Path, tmp_path: Path) -> None:
    result = run("preview", "--source", small, "--out", tmp_path / "preview")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "preview" / "index.html").read_text()
    data = json.loads(page.split("const CARDS = ", 1)[1].split(";\n", 1)[0])
    assert len(data) == 45 and all(card["question"] and card["answer"] for card in data)


def test_a_read_aloud_card_shows_a_replay_button_not_the_engines_marker(tmp_path: Path) -> None:
    """The bundled deck reads aloud; Anki's reviewer puts a replay button where the engine
    writes "[anki:play:q:0]", and so must the gallery."""
    from cardgen.preview import REPLAY, render_cards

    cards = render_cards(ROOT / "source.yaml")
    sides = [side for card in cards for side in (card.question, card.answer)]
    assert len(sides) == 2 * 74
    assert not [side for side in sides if "[anki:play:" in side]
    assert all(REPLAY in side for side in sides)

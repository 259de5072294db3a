"""Make the README's screenshots of the bundled deck: python scripts/screenshots.py

Builds the preview gallery of source.yaml and photographs one card in Debian's headless
Chromium (apt-get install chromium), phone width in light and night mode and desktop.
The preview test runs the same code.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import screenshots  # noqa: E402

from cardgen.preview import render_cards, write_gallery  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cardgen-shots-") as scratch:
        gallery = write_gallery(render_cards(ROOT / "source.yaml"), Path(scratch))
        for path in screenshots(gallery, ROOT / "docs" / "screenshots"):
            print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

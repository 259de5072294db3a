"""cardgen preview, checked in a real headless browser as a learner or maintainer sees it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from browser import DESKTOP, PHONE, browser, chromium, open_gallery, set_mode
from conftest import ROOT, run
from playwright.sync_api import Page

if chromium() is None and not os.environ.get("CI"):
    pytest.skip("the browser tests need Debian's chromium (apt-get install chromium); CI installs it", allow_module_level=True)

CONTRAST = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const worst = [];
  for (const frame of document.querySelectorAll(".entry:not(.hidden) iframe")) {
    const doc = frame.contentDocument, win = frame.contentWindow;
    for (const el of doc.body.querySelectorAll("*")) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      let bg = null;
      for (let p = el; p; p = p.parentElement) {
        const c = parse(win.getComputedStyle(p).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
      }
      const fg = parse(win.getComputedStyle(el).color).slice(0, 3);
      bg = bg || [255, 255, 255];
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < 4.5) worst.push(frame.title + ": " + el.textContent.trim().slice(0, 40) + " " + ratio.toFixed(2));
    }
  }
  return worst;
}
"""

OVERFLOW = """
() => [...document.querySelectorAll(".entry:not(.hidden) iframe")]
  .filter((f) => f.contentDocument.documentElement.scrollWidth > f.contentDocument.documentElement.clientWidth
              || f.getBoundingClientRect().width > 392)
  .map((f) => f.title)
"""


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("preview")
    result = run("preview", "--source", ROOT / "source.yaml", "--out", out)
    assert result.exit_code == 0, result.output
    yield out / "index.html"


OUTSIDE: list[str] = []  # every request the gallery made past its own file


@pytest.fixture(scope="module")
def page(gallery: Path) -> Iterator[Page]:
    """One load of the whole gallery (704 card sides) for every check of this module."""
    with browser() as b:
        yield open_gallery(b, gallery, DESKTOP, OUTSIDE)


@pytest.fixture
def fresh(page: Page) -> Page:
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    page.fill("#q", "")
    page.select_option("#type", "")
    page.select_option("#tag", "")
    set_mode(page, False, "desktop")
    return page


def cards_built() -> int:
    line = run("stats", "--source", ROOT / "source.yaml").output.splitlines()
    total = next(x for x in line if x.startswith("| total"))
    return int(total.strip("|").split("|")[3])


def test_every_card_is_present_and_visible_and_filters_work(fresh: Page) -> None:
    page = fresh
    entries = page.locator(".entry")
    assert entries.count() == cards_built()
    empty = page.evaluate(
        "[...document.querySelectorAll('.entry')].filter(e => { const r = e.getBoundingClientRect();"
        " return r.width === 0 || r.height === 0 || [...e.querySelectorAll('iframe')]"
        ".some(f => !f.contentDocument.body.innerText.trim() || f.getBoundingClientRect().height < 20); })"
        ".map(e => e.dataset.fact)"
    )
    assert empty == []
    page.fill("#q", "oysters")
    page.evaluate("apply()")
    shown = page.locator(".entry:not(.hidden)")
    assert 1 <= shown.count() < entries.count()
    assert "oysters" in page.evaluate(
        "[...document.querySelectorAll('.entry:not(.hidden) iframe')].map(f => f.contentDocument.body.innerText).join(' ').toLowerCase()"
    )
    page.fill("#q", "")
    page.select_option("#type", "cardgen: foods")
    page.evaluate("apply()")
    assert 0 < page.locator(".entry:not(.hidden)").count() < entries.count()
    assert page.evaluate("[...new Set([...document.querySelectorAll('.entry:not(.hidden)')].map(e => e._card.note_type))]") == [
        "cardgen: foods"
    ]
    page.select_option("#type", "")
    page.select_option("#tag", "bone-health::topic::exercise")
    page.evaluate("apply()")
    assert 0 < page.locator(".entry:not(.hidden)").count() < entries.count()


def test_at_phone_width_no_card_overflows(fresh: Page) -> None:
    fresh.set_viewport_size(PHONE)  # type: ignore[arg-type]
    for night in (False, True):
        set_mode(fresh, night, "phone")
        assert fresh.evaluate(OVERFLOW) == []


def test_night_mode_text_contrast_is_at_least_4_5(fresh: Page) -> None:
    set_mode(fresh, True, "desktop")
    assert fresh.evaluate("document.querySelector('iframe').contentDocument.body.classList.contains('nightMode')")
    assert fresh.evaluate("document.querySelector('iframe').contentDocument.body.classList.contains('night_mode')")
    assert fresh.evaluate(CONTRAST) == []
    set_mode(fresh, False, "desktop")
    assert fresh.evaluate(CONTRAST) == []


def test_nothing_is_requested_from_the_network(page: Page) -> None:
    assert page.locator(".entry").count() > 0  # the gallery was loaded and used above
    assert OUTSIDE == []


def test_without_the_engine_preview_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['anki'] = None; sys.modules['anki.collection'] = None\n"
        "from cardgen.cli import cli; cli(['preview', '--source', sys.argv[1], '--out', sys.argv[2]])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "source.yaml"), str(tmp_path / "out")], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "pip install 'cardgen[preview]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_text_that_opens_a_comment_and_names_a_script_leaves_every_card_shown(page: Page, small: Path, tmp_path: Path) -> None:
    """'<!--' in one card and '<script' in a later one once emptied the whole gallery."""
    text = small.read_text().replace('answer: "Our vital organs"', 'answer: "Our vital organs <!-- as the article says"', 1)
    small.write_text(text.replace('"They also anchor our muscles and bank minerals."', '"Not a <script> tag: they also anchor muscles."', 1))
    out = tmp_path / "preview"
    result = run("preview", "--source", small, "--out", out)
    assert result.exit_code == 0, result.output
    cards = int(next(x for x in run("stats", "--source", small).output.splitlines() if x.startswith("| total")).strip("|").split("|")[3])
    other = page.context.browser.new_page()  # type: ignore[union-attr]  # the module's browser: a second cannot start
    try:
        other.goto((out / "index.html").resolve().as_uri())
        other.wait_for_function("[...document.querySelectorAll('iframe')].every(f => f.contentDocument && f.contentDocument.readyState === 'complete')")
        assert other.locator(".entry").count() == cards
        shown = other.evaluate("[...document.querySelectorAll('.entry iframe')].map(f => f.contentDocument.body.innerText).join(' ')")
        assert "<!-- as the article says" in shown and "Not a <script> tag" in shown
    finally:
        other.close()

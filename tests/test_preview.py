"""cardgen preview, checked in a real headless browser as a learner or maintainer sees it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from a11y import AXE_VERSION, WCAG_AA
from axe_playwright_python.sync_playwright import Axe
from browser import DESKTOP, PHONE, browser, chromium, open_gallery, set_mode
from conftest import ROOT, SUMMARY, run
from playwright.sync_api import Page

if chromium() is None and not os.environ.get("CI"):
    pytest.skip("the browser tests need Debian's chromium (apt-get install chromium); CI installs it", allow_module_level=True)

NARROW = {"width": 390, "height": 844}  # a phone's screen, as the learners' phones are
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
def page(gallery: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """One load of the whole gallery (every card side) for every check of this module."""
    with browser(tmp_path_factory.mktemp("chromium")) as b:
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


def test_night_mode_gives_each_card_both_of_ankis_night_classes(fresh: Page) -> None:
    """The cards' own contrast, in both modes, is axe-core's to check: tests/test_a11y.py."""
    set_mode(fresh, True, "desktop")
    for name in ("nightMode", "night_mode"):
        assert fresh.evaluate(f"[...document.querySelectorAll('iframe')].every(f => f.contentDocument.body.classList.contains('{name}'))")
    set_mode(fresh, False, "desktop")
    assert not fresh.evaluate("document.querySelector('iframe').contentDocument.body.classList.contains('nightMode')")


def test_axe_finds_no_wcag_2_2_aa_violation_on_the_gallery_page(fresh: Page) -> None:
    """The page itself, in light and night mode at phone and desktop width (its cards: test_a11y)."""
    checked = []
    for viewport, width in ((NARROW, "phone"), (DESKTOP, "desktop")):
        fresh.set_viewport_size(viewport)  # type: ignore[arg-type]
        for night in (False, True):
            set_mode(fresh, night, width)
            result = Axe().run(
                fresh, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "iframes": False, "resultTypes": ["violations"]}
            )
            assert result.response["testEngine"]["version"] == AXE_VERSION
            assert result.violations_count == 0, result.generate_report()
            checked.append(f"{'night' if night else 'light'} {viewport['width']} px")
    SUMMARY.append(f"axe-core {AXE_VERSION} ({', '.join(WCAG_AA)}) on the gallery page: {', '.join(checked)}; violations 0")


def test_at_390_px_the_page_is_no_wider_than_the_screen_and_nothing_shows_over_its_header(fresh: Page) -> None:
    """Once a long tag and the 390 px card frames made the page wider than a phone; scrolled
    sideways, the cards' text showed beside and over the sticky header."""
    fresh.set_viewport_size(NARROW)  # type: ignore[arg-type]
    for width in ("phone", "desktop"):
        set_mode(fresh, False, width)
        assert fresh.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], width
        fresh.evaluate("window.scrollTo(10000, 600)")
        over = fresh.evaluate(
            """() => { const h = document.querySelector("header"), r = h.getBoundingClientRect(), out = [];
              for (let x = 1; x < innerWidth; x += 20) for (let y = Math.max(r.top, 0) + 1; y < Math.min(r.bottom, innerHeight); y += 10) {
                const e = document.elementFromPoint(x, y); if (e && !h.contains(e)) out.push(e.tagName); }
              return out; }"""
        )
        fresh.evaluate("window.scrollTo(0, 0)")
        assert over == [], width


def test_nothing_is_requested_from_the_network(page: Page) -> None:
    assert page.locator(".entry").count() > 0  # the gallery was loaded and used above
    assert OUTSIDE == []


def test_text_that_opens_a_comment_and_names_a_script_leaves_every_card_shown(page: Page, small: Path, tmp_path: Path) -> None:
    """'<!--' in one card and '<script' in a later one once emptied the whole gallery."""
    text = small.read_text().replace('answer: "Our vital organs"', 'answer: "Our vital organs <!-- as the article says"', 1)
    small.write_text(
        text.replace('"They also anchor our muscles and bank minerals."', '"Not a <script> tag: they also anchor muscles."', 1)
    )
    out = tmp_path / "preview"
    result = run("preview", "--source", small, "--out", out)
    assert result.exit_code == 0, result.output
    cards = int(next(x for x in run("stats", "--source", small).output.splitlines() if x.startswith("| total")).strip("|").split("|")[3])
    other = page.context.browser.new_page()  # type: ignore[union-attr]  # the module's browser: a second cannot start
    try:
        other.goto((out / "index.html").resolve().as_uri())
        other.wait_for_function(
            "[...document.querySelectorAll('iframe')].every(f => f.contentDocument && f.contentDocument.readyState === 'complete')"
        )
        assert other.locator(".entry").count() == cards
        shown = other.evaluate("[...document.querySelectorAll('.entry iframe')].map(f => f.contentDocument.body.innerText).join(' ')")
        assert "<!-- as the article says" in shown and "Not a <script> tag" in shown
    finally:
        other.close()

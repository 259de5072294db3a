"""Every card side, as the real engine renders it and Anki's reviewer shows it, checked in a
real Chromium with axe-core (WCAG 2.2 A and AA), and beyond AA where it matters to learners
with MS: text at 7:1 contrast, none under 16 px, blanks and answers marked by more than
colour and named to a screen reader, nothing that moves. Every check is also shown to fail
on a card broken on purpose.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Iterator

import pytest
from a11y import (
    AAA_CONTRAST,
    AXE_VERSION,
    MODES,
    MOVING,
    SMALL,
    UNMARKED,
    WCAG_AA,
    WIDTHS,
    Checked,
    Side,
    check,
    check_all,
    failures,
    reviewer,
    show,
    sides,
    spoken,
    summary,
)
from browser import browser, chromium
from conftest import FIXTURES, ROOT, SUMMARY
from playwright.sync_api import Browser

from cardgen.preview import render_cards

if chromium() is None and not os.environ.get("CI"):
    pytest.skip("the browser tests need Debian's chromium (apt-get install chromium); CI installs it", allow_module_level=True)

# The deck, and the small fixture for the patterns the deck does not use (lists with a blank).
SOURCES = {"source.yaml": ROOT / "source.yaml", "tests/fixtures/small.yaml": FIXTURES / "small.yaml"}
OURS = {SMALL, MOVING, UNMARKED}


@pytest.fixture(scope="module")
def b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with browser(tmp_path_factory.mktemp("chromium")) as instance:
        yield instance


@pytest.fixture(scope="module")
def every_side() -> dict[str, list[Side]]:
    return {name: sides(render_cards(path)) for name, path in SOURCES.items()}


@pytest.fixture(scope="module")
def checked(b: Browser, every_side: dict[str, list[Side]]) -> list[Checked]:
    """One run over every side in both modes at both widths, shared by the tests below."""
    results: list[Checked] = []
    for name, batch in every_side.items():
        done = check_all(b, batch)
        results += done
        counts = summary(done)
        aa = {rule: n for rule, n in counts.items() if rule not in OURS | {AAA_CONTRAST}}
        SUMMARY.append(
            f"axe-core {AXE_VERSION} on {name}: {len(batch) // 2} cards x 2 sides x {len(MODES)} modes x {len(WIDTHS)} widths"
            f" = {len(done)} card pages; {'+'.join(WCAG_AA)} violations {sum(aa.values())}{' ' + str(aa) if aa else ''}"
            f"; {AAA_CONTRAST} (AAA) {counts.get(AAA_CONTRAST, 0)}; {SMALL} {counts.get(SMALL, 0)}"
            f"; {MOVING} {counts.get(MOVING, 0)}; blank or answer {UNMARKED} {counts.get(UNMARKED, 0)}"
        )
    return results


def test_every_side_was_checked_in_both_modes_at_both_widths(checked: list[Checked], every_side: dict[str, list[Side]]) -> None:
    assert len(checked) == sum(len(s) for s in every_side.values()) * len(MODES) * len(WIDTHS)
    assert {(r.mode, r.width) for r in checked} == {(m, w) for m in MODES for w in WIDTHS}
    assert sum(len(s) for s in every_side.values()) >= 2 * 74  # the deck's cards at least


def test_axe_finds_no_wcag_2_2_a_or_aa_violation(checked: list[Checked]) -> None:
    found = {rule: n for rule, n in summary(checked).items() if rule not in OURS | {AAA_CONTRAST}}
    assert found == {}, failures(checked, *found)


def test_card_text_has_aaa_contrast_in_light_and_night_mode(checked: list[Checked]) -> None:
    # axe's AAA rule leaves text under the AA ratio to the AA rule (its minThreshold): 7:1
    # (4.5:1 for large text) holds where neither reports a node.
    assert failures(checked, "color-contrast", AAA_CONTRAST) == []


def test_no_card_text_is_under_16_px(checked: list[Checked]) -> None:
    assert failures(checked, SMALL) == []


def test_nothing_on_a_card_moves_or_blinks(checked: list[Checked]) -> None:
    assert failures(checked, MOVING) == []


def test_every_blank_and_answer_is_marked_by_more_than_colour_and_labelled(checked: list[Checked]) -> None:
    assert failures(checked, UNMARKED) == []
    blanks = [r for r in checked if "data-cloze=" in r.side.html or 'class="blank"' in r.side.html]
    assert blanks and all(r.marks for r in blanks)  # the cloze and list blanks were among those looked at
    assert all(r.marks for r in checked if r.side.name.endswith(" back"))  # every back shows its answer


def test_a_screen_reader_hears_blank_and_answer_not_brackets(b: Browser, every_side: dict[str, list[Side]]) -> None:
    blanks = [s for batch in every_side.values() for s in batch if "data-cloze=" in s.html or 'class="blank"' in s.html]
    assert len(blanks) >= 6  # the deck's cloze cards and the fixture's list cards
    page = reviewer(b, "phone")
    try:
        for side in blanks:
            show(page, side, "light", "phone")
            heard = spoken(page)
            assert "blank" in heard and not re.search(r"\[(\.\.\.|…)\]", heard), (side.name, heard)
        for side in (s for batch in every_side.values() for s in batch if s.name.endswith(" back")):
            show(page, side, "light", "phone")
            assert "Answer:" in spoken(page), side.name
    finally:
        page.close()


# A real card of the deck with a style added after the deck's own: each must be caught.
BROKEN = [
    pytest.param("light", ".prompt { color: #949494 }", {"color-contrast"}, id="light-grey-text"),
    pytest.param("night", ".night_mode .prompt { color: #555 }", {"color-contrast"}, id="night-dark-text"),
    pytest.param("light", ".source, .source * { color: #6b6b6b }", {AAA_CONTRAST}, id="source-passes-aa-not-aaa"),
    pytest.param("night", ".night_mode .answer { color: #3d7fc4 }", {AAA_CONTRAST}, id="night-answer-passes-aa-not-aaa"),
    pytest.param("light", ".source { font-size: 12px }", {SMALL}, id="tiny-source-line"),
    pytest.param("night", ".cue { font-size: 0.7em }", {SMALL}, id="small-cue"),
    pytest.param(
        "light",
        "@keyframes pulse { to { opacity: 0.2 } } .card .answer { animation: pulse 1s infinite !important }",
        {MOVING},
        id="pulsing-answer",
    ),
    pytest.param("light", ".card .prompt { transition: color 2s !important }", {MOVING}, id="fading-prompt"),
    pytest.param(
        "light",
        ".answer, .cloze, .blank { border: 0 !important; text-decoration: none !important }",
        {UNMARKED},
        id="answer-by-colour-only",
    ),
]


@pytest.fixture(scope="module")
def sample(every_side: dict[str, list[Side]]) -> Side:
    """A back with a cue, a prompt, an answer and a source line."""
    return next(s for s in every_side["source.yaml"] if s.name.endswith(" back") and 'class="cue"' in s.html)


@pytest.mark.parametrize(("mode", "css", "caught"), BROKEN)
def test_a_card_broken_on_purpose_is_caught(b: Browser, sample: Side, mode: str, css: str, caught: set[str]) -> None:
    page = reviewer(b, "desktop")
    try:
        (clean,) = check(page, [sample], mode, "desktop")
        (broken,) = check(page, [replace(sample, html=sample.html + f"<style>{css}</style>")], mode, "desktop")
    finally:
        page.close()
    assert clean.found == {}
    assert set(broken.found) == caught, broken.found


def test_a_field_that_brings_motion_is_stilled_with_or_without_reduce_motion(b: Browser, sample: Side) -> None:
    moving = '<style>@keyframes spin { to { transform: rotate(1turn) } }</style><div class="extra" style="animation: spin 2s infinite; transition: all 1s">Spin</div>'
    for preference in ("no-preference", "reduce"):
        page = reviewer(b, "phone", reduced_motion=preference)
        try:
            (result,) = check(page, [replace(sample, html=sample.html + moving)], "light", "phone")
        finally:
            page.close()
        assert MOVING not in result.found, (preference, result.found)


def test_without_the_labels_script_a_screen_reader_hears_brackets(b: Browser, every_side: dict[str, list[Side]]) -> None:
    """The screen-reader check can fail: a cloze front without its script reads out '[...]'."""
    side = next(s for s in every_side["source.yaml"] if "data-cloze=" in s.html)
    bare = replace(side, html=re.sub(r"<script>.*?</script>", "", side.html, flags=re.S))
    page = reviewer(b, "phone")
    try:
        show(page, bare, "light", "phone")
        heard = spoken(page)
        (result,) = check(page, [bare], "light", "phone")
    finally:
        page.close()
    assert "[...]" in heard and "blank" not in heard
    assert UNMARKED in result.found


def test_each_side_is_the_engines_html_with_its_note_types_css(every_side: dict[str, list[Side]]) -> None:
    """What is checked is what Anki shows: the engine's question or answer, led by the CSS."""
    from cardgen.patterns.base import CSS

    for batch in every_side.values():
        assert all(s.html.startswith("<style>") and CSS.strip() in s.html for s in batch)
        assert {s.ord for s in batch} >= {0, 1}  # a second card type's body is card2

"""Card sides as Anki's reviewer shows them, checked in a real Chromium with axe-core.

The reviewer keeps one page and swaps each side's HTML (with its `<style>`) into `#qa`,
in a body of class `card cardN`, plus `nightMode night_mode` in night mode; its scripts
then run. One page per mode and width does the same here, so axe is injected once per page
and every side is checked in the same document a learner's client would use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, Page

from cardgen.preview import PreviewCard

AXE_VERSION = AXE_SCRIPT.split("axe v", 1)[1].split()[0]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AAA_CONTRAST = "color-contrast-enhanced"  # tag wcag2aaa: 7:1, large text 4.5:1
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_AA},
    "rules": {AAA_CONTRAST: {"enabled": True}},
    "resultTypes": ["violations"],
    "iframes": False,
}
MODES = {"light": "", "night": "nightMode night_mode"}
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1000, "height": 800}}
SMALLEST_PX = 16

REVIEWER = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Card</title></head>"
    "<body class='card'><div id='qa'></div></body></html>"
)

# Show a side as the reviewer does: its HTML into #qa, the body's classes set, its scripts
# run (Anki's setInnerHTML re-creates each script so that it runs).
SHOW = """
() => { window.showSide = (side) => {
  const qa = document.getElementById("qa");
  document.body.className = side.classes;
  qa.innerHTML = side.html;
  for (const old of qa.querySelectorAll("script")) {
    const s = document.createElement("script");
    s.textContent = old.textContent;
    old.replaceWith(s);
  }
  return qa;
}; }
"""

# For each side: show it, run axe, and measure what axe does not: text under 16 px,
# anything that moves, a blank or answer told apart by colour alone or without a label.
CHECK = """
async ([sides, options, smallest]) => {
  const out = [];
  for (const side of sides) {
    const qa = showSide(side);
    const result = await axe.run(document, options);
    const violations = result.violations.map((v) => ({
      rule: v.id, nodes: v.nodes.map((n) => n.html.slice(0, 120) + " " + (n.any[0] || n.all[0] || {message: ""}).message),
    }));
    const small = [], moving = [], unmarked = [];
    let marks = 0;
    const walker = document.createTreeWalker(qa, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!t.textContent.trim() || el.closest("style, script")) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < smallest) small.push(size + "px: " + t.textContent.trim().slice(0, 50));
    }
    for (const el of [document.body, ...document.body.querySelectorAll("*")]) {
      const s = getComputedStyle(el);
      const still = s.animationName === "none" && s.transitionDuration.split(",").every((d) => parseFloat(d) === 0);
      if (!still || ["MARQUEE", "BLINK", "VIDEO"].includes(el.tagName) || s.textDecorationLine.includes("blink"))
        moving.push(el.tagName.toLowerCase() + "." + el.className + ": " + s.animationName + " " + s.transitionDuration);
    }
    for (const el of qa.querySelectorAll(".answer, .cloze, .blank")) {
      marks++;
      const s = getComputedStyle(el);
      const bordered = ["Top", "Right", "Bottom", "Left"].some(
        (e) => s["border" + e + "Style"] !== "none" && parseFloat(s["border" + e + "Width"]) >= 1);
      const underlined = s.textDecorationLine.includes("underline");
      const label = el.querySelector(".sr-only");
      const bold = parseInt(s.fontWeight, 10) >= 600;
      if (!(bold && (bordered || underlined) && label && label.textContent.trim()))
        unmarked.push(el.className + (el.dataset.cloze === undefined ? "" : "[data-cloze]") + ": " + el.textContent.slice(0, 40));
    }
    out.push({violations, small, moving, unmarked, marks});
  }
  return out;
}
"""


SMALL, MOVING, UNMARKED = "text under 16 px", "moving", "marked by colour only"  # our checks, beside axe's rules


@dataclass(frozen=True)
class Side:
    """One side of one card, named for a reader of a failure."""

    name: str
    html: str
    ord: int  # the card's template (cloze: deletion) number, from 0: body class card{ord+1}


@dataclass(frozen=True)
class Checked:
    side: Side
    mode: str
    width: str
    found: dict[str, list[str]]  # axe rule id, or SMALL, MOVING, UNMARKED -> what was found
    marks: int  # blanks and answers looked at

    def where(self) -> str:
        return f"{self.side.name} ({self.mode}, {self.width})"


def sides(cards: list[PreviewCard]) -> list[Side]:
    return [
        Side(f"{c.deck} / {c.note_type} / {c.template} / {c.fact} {label}", html, c.ord)
        for c in cards
        for label, html in (("front", c.question), ("back", c.answer))
    ]


def reviewer(b: Browser, width: str, reduced_motion: str = "no-preference") -> Page:
    """An empty reviewer page with axe loaded, `width` wide; requests that leave it are refused."""
    page = b.new_page(viewport=WIDTHS[width], reduced_motion=reduced_motion)  # type: ignore[arg-type]
    page.set_default_timeout(30_000)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("data:", "about:")) else r.abort())
    page.set_content(REVIEWER)
    page.evaluate(SHOW)
    page.evaluate(AXE_SCRIPT)
    return page


def check(page: Page, batch: list[Side], mode: str, width: str) -> list[Checked]:
    """Every side of `batch` shown in `page` in one mode (the page sets the width)."""
    payload = [{"html": s.html, "classes": classes(s, mode, width)} for s in batch]
    results: list[dict[str, Any]] = page.evaluate(CHECK, [payload, AXE_OPTIONS, SMALLEST_PX])
    return [
        Checked(
            side,
            mode,
            width,
            {v["rule"]: v["nodes"] for v in r["violations"]}
            | {k: v for k, v in ((SMALL, r["small"]), (MOVING, r["moving"]), (UNMARKED, r["unmarked"])) if v},
            r["marks"],
        )
        for side, r in zip(batch, results, strict=True)
    ]


def check_all(b: Browser, batch: list[Side]) -> list[Checked]:
    """Every side in light and night mode at phone and desktop width."""
    result = []
    for width in WIDTHS:
        page = reviewer(b, width)
        try:
            for mode in MODES:
                result += check(page, batch, mode, width)
        finally:
            page.close()
    return result


def classes(side: Side, mode: str, width: str) -> str:
    return " ".join(["card", f"card{side.ord + 1}", *MODES[mode].split(), *(["mobile"] if width == "phone" else [])])


def show(page: Page, side: Side, mode: str, width: str) -> None:
    """One side in the reviewer page, its scripts run, as CHECK shows each."""
    page.evaluate("(side) => { showSide(side); }", {"html": side.html, "classes": classes(side, mode, width)})


def spoken(page: Page) -> str:
    """The page's text as Chromium's accessibility tree gives it to a screen reader."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return "".join(n["name"]["value"] for n in nodes if not n.get("ignored") and n["role"]["value"] == "StaticText")


def summary(results: list[Checked]) -> dict[str, int]:
    """How many nodes each axe rule and each check of ours found over `results`."""
    counts: dict[str, int] = {}
    for r in results:
        for name, nodes in r.found.items():
            counts[name] = counts.get(name, 0) + len(nodes)
    return counts


def failures(results: list[Checked], *names: str) -> list[str]:
    """The first findings of `names`, where they are, for a failing assert to show."""
    return [f"{r.where()}: {name}: {node}" for r in results for name in names for node in r.found.get(name, [])][:10]

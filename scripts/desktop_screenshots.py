"""Show a card in the real Anki desktop reviewer, check how it shows, and photograph it.

    .venv-aqt/bin/python scripts/desktop_screenshots.py --out docs/screenshots

Runs Anki desktop (PyPI's `aqt`, the same version as the `anki` engine the project tests with)
headless on Qt's offscreen platform, in a throwaway base folder inside --work. It imports the
package, puts the chosen card in a filtered deck and studies it in the reviewer, question and
answer, in Anki's narrowest main window (400 px, about a phone's width) and a wide one, light
and night. In the reviewer's own webview it checks that nothing scrolls or sticks out sideways,
that the card's text is at least 16 px (its cue and source citations at least 12 px), and that
night mode is applied (and light mode is light); then it saves a PNG of the main window for each
view: reviewer-{narrow,wide}-{light,night}-{question,answer}.png.

Anki writes only inside --work (its base folder, HOME, TMPDIR and the XDG folders point there),
never syncs, never checks for updates, and is quit at the end, or killed after --timeout seconds.

Exit codes: 0 every check passed, 1 a check failed (each failure is printed), 2 usage,
3 Anki could not be run or did not finish in time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "cardgen"
MARKER = ".desktop-screenshots-work"  # only a folder holding this file is emptied
# The bundled deck's vitamin D role card, the one the README shows.
SEARCH = "tag:bone-health::subject::vitamin-d tag:bone-health::pattern::nutrient_role"
MIN_TEXT_PX = 16.0  # every text on the card, the cue above the prompt and the source citations too
NARROW = (400, 844)  # Anki desktop's main window is no narrower than 400 px: its menu bar and toolbar
WIDE = (1000, 760)
# Chromium (inside QtWebEngine) needs --no-sandbox as root; there is no GPU, nothing to fetch, and
# its own log lines (fatal ones aside) would only break up this script's report.
CHROMIUM_FLAGS = "--no-sandbox --disable-gpu --disable-background-networking --disable-component-update --log-level=3"

# Measured in the reviewer's webview (mw.web) once the card is shown. `#qa` holds the card; the
# page's body carries the card's classes ("card card1", and "nightMode" in night mode).
MEASURE = """
(() => {
  const doc = document.documentElement, body = document.body, qa = document.getElementById("qa");
  if (!qa) return null;
  const name = (el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().split(/\\s+/).join(".") : "");
  const own = (el) => !["STYLE", "SCRIPT"].includes(el.tagName)
    && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const sticking = [...qa.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 0.5)
    .map((el) => name(el) + " ends at " + Math.round(el.getBoundingClientRect().right) + " px");
  const style = getComputedStyle(body);
  // The colour behind the text: the body's, else the root's, else (both transparent) the page's own.
  const opaque = (c) => !/^rgba\(.*,\s*0\)$|^transparent$/.test(c);
  const background = [style.backgroundColor, getComputedStyle(doc).backgroundColor].find(opaque) || null;
  return JSON.stringify({
    innerWidth: window.innerWidth,
    clientWidth: doc.clientWidth,
    scrollWidth: Math.max(doc.scrollWidth, body.scrollWidth),
    sticking: sticking.slice(0, 5),
    sizes: [...qa.querySelectorAll("*")].filter(own).map((el) => ({
      el: name(el), px: parseFloat(getComputedStyle(el).fontSize)})),
    bodyClasses: [...body.classList],
    background,
    color: style.color,
  });
})()
"""


@dataclass(frozen=True)
class View:
    """One picture: a window size, a theme and a side of the card."""

    width_name: str
    size: tuple[int, int]
    night: bool
    side: str

    @property
    def name(self) -> str:
        return f"reviewer-{self.width_name}-{'night' if self.night else 'light'}-{self.side}"


VIEWS = [
    View(width_name, size, night, side)
    for night in (False, True)
    for width_name, size in (("narrow", NARROW), ("wide", WIDE))
    for side in ("question", "answer")
]


class CannotRun(Exception):
    """Anki did not start, or did not do what it was asked, in time."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    assert __doc__
    parser = argparse.ArgumentParser(
        prog="desktop_screenshots.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--package", type=Path, default=ROOT / "decks" / "bone-health-ms.apkg", help="the .apkg to import")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs (created)")
    parser.add_argument(
        "--work",
        type=Path,
        default=ROOT / ".desktop-work",
        help="throwaway folder for Anki's base, HOME and TMPDIR, emptied first (default: .desktop-work)",
    )
    parser.add_argument("--search", default=SEARCH, help="an Anki search that finds the one card to show")
    parser.add_argument(
        "--card-css",
        default="",
        metavar="CSS",
        help="CSS appended to the card's note type in the throwaway collection, to see the checks fail",
    )
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds before Anki is killed (exit 3; default 240)")
    return parser.parse_args(argv)


def confine(work: Path) -> None:
    """Point everything Anki, Qt and Chromium write at folders inside `work`; must run before Qt loads."""
    for name in ("home", "tmp", "run", "cache", "config", "data"):
        (work / name).mkdir(parents=True)
    (work / MARKER).write_text("made by scripts/desktop_screenshots.py, which empties this folder at its next run\n")
    (work / "run").chmod(0o700)
    os.environ.update(
        HOME=str(work / "home"),
        TMPDIR=str(work / "tmp"),
        XDG_RUNTIME_DIR=str(work / "run"),
        XDG_CACHE_HOME=str(work / "cache"),
        XDG_CONFIG_HOME=str(work / "config"),
        XDG_DATA_HOME=str(work / "data"),
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        QTWEBENGINE_CHROMIUM_FLAGS=CHROMIUM_FLAGS,
        # Anki's single-instance socket: a running Anki would otherwise take our window's place.
        ANKI_SINGLE_INSTANCE_KEY=f"cardgen-desktop-{os.getpid()}",
    )
    os.environ.pop("ANKI_BASE", None)
    tempfile.tempdir = None  # re-read TMPDIR


def seed_base(base: Path) -> None:
    """A base folder whose one profile opens with no question asked: no language choice, no update check, no sync."""
    from aqt.profiles import ProfileManager, VideoDriver

    pm = ProfileManager(ProfileManager.get_created_base_folder(str(base)))
    pm.setupMeta()
    pm.meta.update(
        firstRun=False,
        defaultLang="en_US",
        suppressUpdate=True,
        check_for_updates=False,
        check_for_addon_updates=False,
        last_addon_update_check=int(time.time()),
    )
    pm.create(PROFILE)
    pm.load(PROFILE)
    assert pm.profile is not None and pm.db is not None
    pm.profile.update(autoSync=False, syncMedia=False, syncKey=None)
    pm.save()
    pm.db.close()
    pm.set_video_driver(VideoDriver.Software)  # no GPU: Qt's software renderer, and the reviewer skips its fades


class Session:
    """Drives the running Anki main window step by step, from inside its event loop."""

    def __init__(self, mw: Any, args: argparse.Namespace, step: list[str], deadline: float) -> None:
        self.mw = mw
        self.args = args
        self.step = step  # what the kill timer reports
        self.deadline = deadline
        self.failures: list[str] = []
        self.made: list[Path] = []

    def wait(self, done: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
        from aqt.qt import QApplication, QEventLoop

        self.step[0] = what
        until = min(time.monotonic() + seconds, self.deadline)
        while not done():
            if time.monotonic() > until:
                raise CannotRun(f"timed out {what}")
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def js(self, code: str, what: str) -> Any:
        """Run `code` in the reviewer's webview and return its value.

        Anki queues a script while a page loads and drops the queue when another page replaces
        it, so an unanswered script is sent again, every 10 s, for up to a minute."""
        box: list[Any] = []
        for _ in range(6):
            self.mw.web.evalWithCallback(code, box.append)
            sent = time.monotonic()
            try:
                self.wait(lambda: bool(box) or time.monotonic() - sent > 10, f"waiting for the page to run JavaScript ({what})")
            except CannotRun:
                break
            if box:
                return box[0]
        raise CannotRun(f"the reviewer's page ran no JavaScript for a minute ({what})")

    def settle(self, what: str) -> None:
        """Wait until the page has painted twice since the card went in, and the frame reached the window."""
        self.js(
            "window.__cardgenPainted = false; requestAnimationFrame(() => requestAnimationFrame(() => "
            "{ window.__cardgenPainted = true; }));",
            what,
        )
        self.wait(lambda: self.js("window.__cardgenPainted === true", what) is True, what)
        end = time.monotonic() + 0.3
        self.wait(lambda: time.monotonic() > end, what)

    def run(self) -> None:
        mw = self.mw
        self.wait(lambda: mw.col is not None and mw.state == "deckBrowser", "opening the profile")
        # The deck list draws itself from a background query; drawn late, it would replace the reviewer's page.
        self.wait(lambda: getattr(mw.deckBrowser, "_render_data", None) is not None and mw.web._domDone, "drawing the deck list")
        card_id = self.import_and_pick()
        for view in VIEWS:
            self.show(view, card_id)
            self.settle(f"painting {view.name}")
            measured = self.js(MEASURE, f"measuring {view.name}")
            if measured is None:
                raise CannotRun(f"the reviewer's page was replaced before {view.name} was measured")
            self.check(view, json.loads(measured))
            self.photograph(view)

    def import_and_pick(self) -> int:
        """Import the package as File > Import does, and put the one card to show in a filtered deck of its own."""
        from anki.collection import ImportAnkiPackageRequest

        col = self.mw.col
        package = self.args.package.resolve()
        log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package))).log
        print(f"imported {package.name}: {len(log.new)} new notes")
        found = col.find_cards(self.args.search)
        if len(found) != 1:
            raise CannotRun(f"the search {self.args.search!r} finds {len(found)} cards, not one")
        if self.args.card_css:
            notetype = col.get_card(found[0]).note_type()
            notetype["css"] += "\n" + self.args.card_css
            col.models.update_dict(notetype)
        deck = col.sched.get_or_create_filtered_deck(deck_id=0)
        deck.name = "cardgen screenshot"
        del deck.config.search_terms[:]
        deck.config.search_terms.add(search=f"cid:{found[0]}", limit=1)
        col.decks.select(col.sched.add_or_update_filtered_deck(deck).id)
        return int(found[0])

    def show(self, view: View, card_id: int) -> None:
        from aqt.theme import Theme

        mw = self.mw
        if view.side == "question":
            mw.set_theme(Theme.DARK if view.night else Theme.LIGHT)  # what Preferences > Theme does
            mw.resize(*view.size)
            self.wait(lambda: mw.width() == max(view.size[0], mw.minimumSizeHint().width()), f"resizing for {view.name}")
            # The reviewer reloads its page and asks the scheduler for the next card, as when study starts.
            mw.moveToState("review")
            self.wait(lambda: mw.reviewer.card is not None and mw.reviewer.card.id == card_id, f"fetching the card for {view.name}")
            self.wait(lambda: bool(self.js("(document.getElementById('qa') || {}).innerText", view.name)), f"showing {view.name}")
        else:
            before = self.js("document.getElementById('qa').innerHTML", view.name)
            mw.reviewer._showAnswer()  # the Show Answer button's handler
            self.wait(lambda: self.js("document.getElementById('qa').innerHTML", view.name) != before, f"showing {view.name}")

    def check(self, view: View, m: dict[str, Any]) -> None:
        def fail(why: str) -> None:
            self.failures.append(f"{view.name}: {why}")

        if m["background"] is None:
            page = self.mw.web.page().backgroundColor()
            m["background"] = f"rgb({page.red()}, {page.green()}, {page.blue()})"
        sizes = {s["el"]: s["px"] for s in m["sizes"]}
        print(
            f"{view.name}: webview {m['innerWidth']} px wide, content {m['scrollWidth']} px; "
            f"text {', '.join(f'{el} {px:g}' for el, px in sizes.items())} px; text {m['color']} on {m['background']}"
        )
        if view.width_name == "narrow" and m["innerWidth"] > NARROW[0]:
            fail(f"the reviewer is {m['innerWidth']} px wide, not {NARROW[0]}: the window did not narrow")
        if m["scrollWidth"] > m["clientWidth"]:
            fail(f"horizontal overflow: the page is {m['scrollWidth']} px wide in a {m['clientWidth']} px window")
        for where in m["sticking"]:
            fail(f"past the right edge at {m['clientWidth']} px: {where}")
        if not m["sizes"]:
            fail("the card shows no text")
        for size in m["sizes"]:
            if size["px"] < MIN_TEXT_PX:
                fail(f"{size['el']} text is {size['px']:g} px, under {MIN_TEXT_PX:g} px")
        night_class = "nightMode" in m["bodyClasses"]
        background, text = luminance(m["background"]), luminance(m["color"])
        if view.night and not (night_class and background < 0.2 and text > 0.4):
            fail(f"night mode not applied: body classes {' '.join(m['bodyClasses'])}; text {m['color']} on {m['background']}")
        if not view.night and (night_class or not (background > 0.6 and text < 0.2)):
            fail(f"light mode not applied: body classes {' '.join(m['bodyClasses'])}; text {m['color']} on {m['background']}")

    def photograph(self, view: View) -> None:
        self.args.out.mkdir(parents=True, exist_ok=True)
        path = self.args.out / f"{view.name}.png"
        if not self.mw.grab().save(str(path), "PNG"):
            raise CannotRun(f"could not write {path}")
        self.made.append(path)


def luminance(css_color: str) -> float:
    """Relative luminance (WCAG) of a computed `rgb(r, g, b)` or `rgba(r, g, b, a)` colour."""
    inside = css_color[css_color.index("(") + 1 : css_color.index(")")]
    r, g, b = (float(part) / 255 for part in inside.replace(",", " ").split()[:3])

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def die(message: str) -> None:
    """Say why and stop at once (exit 3), past Qt's loop and Anki's error handler, which wraps sys.stderr."""
    os.write(2, f"desktop_screenshots: {message}\n".encode())
    os._exit(3)


def kill_after(seconds: float, step: list[str]) -> None:
    """The hard limit: a hung Qt, Chromium or dialog cannot stall CI."""

    def kill() -> None:
        die(f"Anki did not finish in {seconds:g} s (at: {step[0]}); killed")

    timer = threading.Timer(seconds, kill)
    timer.daemon = True
    timer.start()


def refuse_dialogs(app: Any, step: list[str]) -> None:
    """A dialog would wait for a click that never comes: name it and stop (Qt timers run inside its loop too)."""
    from aqt.qt import QApplication, QTimer

    def look() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            text = modal.text() if hasattr(modal, "text") else ""
            die(f"Anki opened a dialog (at: {step[0]}): {modal.windowTitle()!r} {text!r}")

    timer = QTimer(app)
    timer.timeout.connect(look)
    timer.start(250)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out = args.out.resolve()
    if not args.package.is_file():
        print(f"desktop_screenshots: no package at {args.package}; build it with: cardgen build", file=sys.stderr)
        return 2
    work = args.work.resolve()
    if work.exists() and any(work.iterdir()):
        if not (work / MARKER).exists():
            print(f"desktop_screenshots: {work} is not empty and not a folder this script made; name another --work", file=sys.stderr)
            return 2
        shutil.rmtree(work)
    confine(work)
    step = ["starting Anki"]
    kill_after(args.timeout, step)
    started = time.monotonic()
    try:
        import aqt
        from aqt import gui_hooks
        from aqt.qt import QTimer
    except ImportError as error:
        print(
            f"desktop_screenshots: cannot load Anki desktop with {sys.executable} ({error}): it needs "
            "pip install 'aqt[qt]' and the Debian libraries that .ci/run installs",
            file=sys.stderr,
        )
        return 3

    seed_base(work / "anki")
    app = aqt._run(argv=["anki", "-b", str(work / "anki"), "-p", PROFILE], exec=False)
    if app is None or aqt.mw is None:
        print("desktop_screenshots: Anki did not start (its messages are above)", file=sys.stderr)
        return 3
    refuse_dialogs(app, step)
    session = Session(aqt.mw, args, step, deadline=started + args.timeout)
    outcome: list[str] = []

    def drive() -> None:
        try:
            session.run()
            outcome.append("ran")
        except CannotRun as error:
            outcome.append(str(error))
        except Exception:
            outcome.append(traceback.format_exc())
        step[0] = "quitting Anki"
        session.mw.unloadProfileAndExit()

    gui_hooks.main_window_did_init.append(lambda: QTimer.singleShot(0, drive))
    app.exec()
    if outcome != ["ran"]:
        print(f"desktop_screenshots: Anki could not show the cards: {outcome[0] if outcome else 'it quit first'}", file=sys.stderr)
        return 3
    for path in session.made:
        print(path)
    print(f"{len(session.made)} screenshots from Anki {aqt.appVersion}'s reviewer in {time.monotonic() - started:.1f} s")
    if session.failures:
        print(f"{len(session.failures)} check(s) failed:")
        for failure in session.failures:
            print(f"  {failure}")
        print(f"desktop_screenshots: {len(session.failures)} check(s) failed (listed above)", file=sys.stderr)
        return 1
    print(f"checks passed in {len(VIEWS)} views: no horizontal overflow, text at least {MIN_TEXT_PX:g} px, night mode applied")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # exit 1 means a check failed: anything unforeseen is "could not run"
        traceback.print_exc()
        sys.exit(3)

"""The preview gallery in a real headless Chromium (Debian's), driven with Playwright."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from playwright.sync_api import Browser, Page, sync_playwright

# Chromium's own background traffic would hit the closed network; none of it is ours.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 430, "height": 900}
DESKTOP = {"width": 1280, "height": 900}


def chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser(scratch: Path | None = None) -> Iterator[Browser]:
    """Chromium; its profile goes in `scratch` (a test's own directory) rather than in /tmp.

    Playwright's driver makes the profile in its own temporary directory: TMPDIR is set for
    the driver's start only, so Python's temporary files are not moved with it."""
    executable = chromium()
    if executable is None:
        raise RuntimeError("no Chromium: apt-get install chromium (CI does)")
    saved = os.environ.get("TMPDIR")
    if scratch is not None:
        os.environ["TMPDIR"] = str(scratch)
    try:
        manager = sync_playwright()
        playwright = manager.start()
    finally:
        if saved is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved
    try:
        instance = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield instance
        finally:
            instance.close()
    finally:
        playwright.stop()


def open_gallery(b: Browser, gallery: Path, viewport: dict[str, int], outside: list[str]) -> Page:
    """The gallery, every frame loaded; requests that leave the file are recorded and refused."""
    page = b.new_page(viewport=viewport)  # type: ignore[arg-type]

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.goto(gallery.resolve().as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function(
        "[...document.querySelectorAll('iframe')].every(f => f.contentDocument && f.contentDocument.readyState === 'complete')"
    )
    return page


def set_mode(page: Page, night: bool, width: str) -> None:
    page.locator("#night").set_checked(night)
    page.locator(f"input[name=width][value={width}]").check()
    page.evaluate("apply()")

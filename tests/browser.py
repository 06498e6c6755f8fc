"""Helpers for the browser tests: Debian's Chromium driven by Playwright, with every network request blocked.

The ``browser`` fixture (tests/conftest.py) launches one Chromium per test session; :class:`Page` opens a page
from disk in a fresh context and records console errors and every request it makes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("KG_SKIP_BROWSER"):
            pytest.skip("KG_SKIP_BROWSER is set and /usr/bin/chromium is missing")
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


def wait_ready(page: Any, timeout_s: float) -> None:
    """Wait for the page to be drawn and answer. Polled from Python: the page's CSP forbids the eval that
    Playwright's in-page polling uses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate("!!(window.kg && window.kg.ready)"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"page not ready after {timeout_s} s")
        time.sleep(0.05)


class Page:
    """A page opened from disk, with every console message and request recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.console: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.goto(path.as_uri())
        wait_ready(self.page, 120)

    def js(self, code: str) -> Any:
        return self.page.evaluate(code)

    def close(self) -> None:
        self.context.close()


@contextmanager
def page_of(browser: Any, graph: Any, folder: Path, title: str = "kg graph", **options: Any) -> Iterator[Page]:
    """The explorer page of ``graph`` (``render_html`` with ``options``), written into ``folder`` and open."""
    from kg.html import render_html

    path = folder / "graph.html"
    path.write_text(render_html(graph, title, **options), encoding="utf-8")
    page = Page(browser, path)
    try:
        yield page
    finally:
        page.close()

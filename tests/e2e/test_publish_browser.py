"""The published site in a real browser: Debian's chromium, headless, over DevTools.

The site is served by Python's http.server on 127.0.0.1; every request the pages make
is recorded, so "nothing failed to load" and "nothing came from elsewhere" are
checked, not assumed. Screenshots are kept in $TRACKER_TEST_ARTIFACTS (default: the
test's temporary directory). Skipped, with the reason, where chromium is missing,
except under CI=true, where an image that lost chromium must fail, not pass silently.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.browser import Browser, find_chromium
from support.cli import Cli

CHROMIUM = find_chromium()
MARKUP = Path(__file__).with_name("markup.yaml")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = os.environ.get("TRACKER_TEST_ARTIFACTS")
    where = Path(root) / request.node.name if root else tmp_path / "artifacts"
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with Browser(CHROMIUM) as b:
        yield b


def check_loaded(load: object, origin: str) -> None:
    assert load.failures == [], load.failures  # type: ignore[attr-defined]
    assert load.dialogs == [], load.dialogs  # type: ignore[attr-defined]
    for url in load.requests:  # type: ignore[attr-defined]
        assert url.startswith(origin + "/"), url  # nothing from the network


def test_the_demo_site_renders_in_chromium(
    sqlite_url: str, tmp_path: Path, browser: Browser, artifacts: Path
) -> None:
    tracker = Cli(sqlite_url).load_demo()
    site = tmp_path / "site"
    tracker.ok("publish", str(site), "--as-of", "2024-06-01", "--title", "US–Mexico pledges")
    with serve(site) as origin:
        index = browser.open(f"{origin}/index.html")
        check_loaded(index, origin)
        assert {f"{origin}/index.html", f"{origin}/site.css"} <= set(index.requests)
        assert browser.evaluate("document.title") == "US–Mexico pledges"
        meter = browser.evaluate(
            "[...document.querySelectorAll('#meter table.tally td')].map(td => td.innerText)"
        )
        assert meter[:4] == ["6 50.0%", "4 33.3%", "0 0.0%", "2 16.7%"]  # of 12
        # The style sheet applied: the header is dark, the meter's bar has a width.
        assert (
            browser.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
            == "rgb(31, 41, 51)"
        )
        assert (
            browser.evaluate("document.querySelector('#meter svg').getBoundingClientRect().width")
            > 500
        )
        assert browser.evaluate("document.querySelectorAll('#trend svg rect').length") > 5
        assert "Mexico" in browser.evaluate("document.querySelector('#actors').innerText")
        browser.screenshot(artifacts / "index.png")

        page = browser.open(f"{origin}/commitments/reopen-border-crossings.html")
        check_loaded(page, origin)
        marks = browser.evaluate("document.querySelectorAll('svg.timeline g.mark').length")
        entries = browser.evaluate("document.querySelectorAll('ol.entries li').length")
        assert marks == entries >= 2
        quote = browser.evaluate(
            "(() => { const q = document.querySelector('blockquote[lang=es]');"
            " return [q.innerText, q.getBoundingClientRect().height > 0]; })()"
        )
        assert quote[0].startswith("estamos comprometidos a asociarnos con México") and quote[1]
        browser.screenshot(artifacts / "commitment.png")

        fentanyl = browser.open(f"{origin}/commitments/fentanyl-meeting-feb-2024.html")
        check_loaded(fentanyl, origin)
        assert browser.evaluate("!!document.querySelector('svg.timeline rect.band')")
        assert "overdue" in browser.evaluate("document.querySelector('.verdict').innerText")

        actor = browser.open(f"{origin}/actors/mx.html")
        check_loaded(actor, origin)
        assert "still open" in browser.evaluate("document.querySelector('#scorecard').innerText")
        browser.screenshot(artifacts / "actor.png")


def test_markup_from_the_log_is_shown_and_runs_nothing(
    sqlite_url: str, tmp_path: Path, browser: Browser, artifacts: Path
) -> None:
    tracker = Cli(sqlite_url)
    tracker.ok("import", str(MARKUP))
    site = tmp_path / "site"
    tracker.ok("publish", str(site), "--title", "<script>alert(0)</script>")
    with serve(site) as origin:
        for path in ("index.html", "commitments/late-bridge.html", "actors/gov.html"):
            load = browser.open(f"{origin}/{path}")
            check_loaded(load, origin)  # no dialog: no alert() ran; no request for "x"
            assert browser.evaluate("document.scripts.length") == 0, path
            assert browser.evaluate("document.querySelectorAll('img').length") == 0, path
            assert browser.evaluate("document.title").endswith("<script>alert(0)</script>")
        browser.open(f"{origin}/commitments/late-bridge.html")
        text = browser.evaluate("document.body.innerText")
        assert "Build the bridge <script>alert(1)</script>" in text
        assert '"><img src=x onerror=alert(1)> construiremos el puente' in text
        assert "Opened a week late <img src=x onerror=alert(3)>" in text
        assert "fulfilled 7 days late" in text
        browser.screenshot(artifacts / "markup.png")
        browser.open(f"{origin}/actors/gov.html")
        heading = browser.evaluate("document.querySelector('h1').innerText")
        assert heading == 'Gov <b>"bold"</b> & co'

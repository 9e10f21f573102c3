"""`tracker publish`: the site's files, links, calendar and feed read back by parsers
of their own, timeliness everywhere, the trend as the as-of view sees it, and a DIR
the tracker did not write left alone."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
import vobject
from support.cli import Cli
from support.db_kinds import both_backends

from tracker.domain.statuses import Status
from tracker.domain.trend import month_ends
from tracker.service_layer.app import Tracker
from tracker.service_layer.publish.model import collect
from tracker.service_layer.publish.writing import MANIFEST, PublishRefused, write_site
from tracker.service_layer.queries import View, states_in

MARKUP = Path(__file__).with_name("markup.yaml")
DAY = "2024-06-01"  # every publication here judges this day: stable across runs


@pytest.fixture
def demo(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


@pytest.fixture
def marked(sqlite_url: str) -> Cli:
    tracker = Cli(sqlite_url)
    tracker.ok("import", str(MARKUP))
    return tracker


class Links(HTMLParser):
    """Every href and src of a page, and whether it holds a script element."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)


def parse(path: Path) -> Links:
    found = Links()
    found.feed(path.read_text(encoding="utf-8"))
    return found


@both_backends
def test_the_demo_site_links_resolve_and_nothing_comes_from_the_network(
    demo: Cli, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    out = demo.ok("publish", str(site), "--as-of", DAY).stdout
    assert "published 12 commitments as of 2024-06-01" in out
    pages = sorted(site.rglob("*.html"))
    commitments = {p.stem for p in (site / "commitments").glob("*.html")}
    assert len(commitments) == 12 and "darien-visit" in commitments
    assert {p.stem for p in (site / "actors").glob("*.html")} == {"mx", "us"}
    written = (site / MANIFEST).read_text().splitlines()
    assert sorted(line for line in written if not line.startswith("#")) == sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    for page in pages:
        found = parse(page)
        assert found.scripts == 0, page
        for tag, attribute, value in found.links:
            url = urlsplit(value)
            if url.scheme in ("http", "https"):
                # Only links to the sources' articles leave the site; nothing is loaded.
                assert (tag, attribute) == ("a", "href"), (page, value)
                continue
            if url.scheme == "data":
                assert value == "data:,"  # the empty favicon: no request for one
                continue
            assert not url.scheme and not url.netloc, (page, value)
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            assert target.is_file(), (page, value)
            assert site.resolve() in target.parents, (page, value)
            if url.fragment and target.suffix == ".html":
                assert url.fragment in parse(target).ids, (page, value)


def test_the_calendar_parses_with_vobject_and_is_the_same_each_run(
    demo: Cli, tmp_path: Path
) -> None:
    demo.ok("publish", str(tmp_path / "one"), "--as-of", DAY)
    demo.ok("publish", str(tmp_path / "two"), "--as-of", DAY)
    text = (tmp_path / "one" / "calendar.ics").read_bytes()
    assert text == (tmp_path / "two" / "calendar.ics").read_bytes()
    cal = vobject.readOne(text.decode("utf-8"))
    events = {e.uid.value: e for e in cal.contents.get("vevent", [])}
    todos = {t.uid.value: t for t in cal.contents.get("vtodo", [])}
    rows = json.loads(demo.ok("status", "--as-of", DAY, "--format", "json").stdout)
    with_due = [r for r in rows if r["due"]]
    assert len(events) == len(with_due) >= 3
    for row in with_due:
        event = events[f"deadline-{row['id']}@tracker.invalid"]
        start, end = date.fromisoformat(row["due"]["start"]), date.fromisoformat(row["due"]["end"])
        assert event.dtstart.value == start and type(event.dtstart.value) is date  # all day
        assert event.dtend.value == end + timedelta(days=1)  # RFC 5545: the day after
        assert row["title"] in event.summary.value
    fentanyl = events["deadline-fentanyl-meeting-feb-2024@tracker.invalid"]
    assert (fentanyl.dtstart.value, fentanyl.dtend.value) == (date(2024, 2, 1), date(2024, 2, 11))
    open_follow_ups = {
        (r["id"], f["id"], f["due"])
        for r in rows
        if r["status"]
        not in ("fulfilled", "partially_fulfilled", "broken", "withdrawn", "superseded")
        for f in json.loads(demo.ok("show", r["id"], "--as-of", DAY, "--format", "json").stdout)[
            "follow_ups"
        ]
        if f["done_on"] is None
    }
    assert {(uid.split("@")[0], todo.due.value.isoformat()) for uid, todo in todos.items()} == {
        (f"follow-up-{c}-{f}", due) for c, f, due in open_follow_ups
    }
    assert todos


def test_export_ics_prints_the_published_calendar(demo: Cli, tmp_path: Path) -> None:
    demo.ok("publish", str(tmp_path / "site"))
    printed = demo.ok("export", "--format", "ics").stdout_bytes
    assert printed == (tmp_path / "site" / "calendar.ics").read_bytes()
    assert printed.startswith(b"BEGIN:VCALENDAR\r\n")


def test_the_feed_parses_with_feedparser_newest_first_with_stable_ids(
    demo: Cli, tmp_path: Path
) -> None:
    demo.ok("publish", str(tmp_path / "one"), "--as-of", DAY)
    demo.ok("record", "darien-visit", "note", "A newer entry", "--on", DAY)
    demo.ok("publish", str(tmp_path / "two"), "--as-of", DAY)
    one = feedparser.parse((tmp_path / "one" / "feed.atom").read_bytes())
    two = feedparser.parse((tmp_path / "two" / "feed.atom").read_bytes())
    assert not one.bozo and not two.bozo, (one.get("bozo_exception"), two.get("bozo_exception"))
    events = demo.events()
    kinds = {
        "CommitmentMade",
        "ProgressRecorded",
        "StatusChanged",
        "DeadlineChanged",
        "NoteAdded",
        "EntryRetracted",
    }
    announced = [
        e for e in events if e["stream_id"].startswith("commitment:") and e["type"] in kinds
    ]
    assert len(two.entries) == len(announced) == len(one.entries) + 1
    newest = two.entries[0]
    assert "A newer entry" in newest.summary and "darien-visit" in newest.link
    assert [e.id for e in two.entries[1:]] == [e.id for e in one.entries]  # ids stable
    assert len({e.id for e in two.entries}) == len(two.entries)
    stamps = [e.updated for e in two.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert one.feed.id == two.feed.id


def test_a_late_fulfilment_says_n_days_late_everywhere(marked: Cli, tmp_path: Path) -> None:
    shown = marked.ok("show", "late-bridge").stdout
    assert "fulfilled (since 2024-05-07), fulfilled 7 days late" in shown
    rows = {r["id"]: r for r in json.loads(marked.ok("status", "--format", "json").stdout)}
    assert rows["late-bridge"]["days_late_at_fulfilment"] == 7
    assert rows["on-time-road"]["days_late_at_fulfilment"] == 0
    (card,) = json.loads(marked.ok("scorecard", "--format", "json").stdout)
    assert (card["fulfilled"], card["fulfilled_on_time"], card["fulfilled_late"]) == (2, 1, 1)
    assert card["compliance"] == 100.0
    tags = {
        r["tag"]: r for r in json.loads(marked.ok("scorecard", "--by", "tag", "-f", "json").stdout)
    }
    assert (tags["infra"]["made"], tags["roads"]["fulfilled_on_time"]) == (2, 1)
    marked.ok("publish", str(tmp_path / "site"))
    page = (tmp_path / "site" / "commitments" / "late-bridge.html").read_text()
    assert "fulfilled 7 days late" in page
    assert (
        "fulfilled on time" in (tmp_path / "site" / "commitments" / "on-time-road.html").read_text()
    )
    assert "kept on time 1, kept late 1" in (tmp_path / "site" / "actors" / "gov.html").read_text()


def test_markup_in_the_log_is_escaped_on_every_page_and_in_the_feed(
    marked: Cli, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    marked.ok("publish", str(site), "--title", "Pledges <script>alert(0)</script>")
    for path in [*site.rglob("*.html"), site / "feed.atom"]:
        text = path.read_text()
        assert "<script" not in text and "<img" not in text, path
        assert "onerror=alert" not in text or "&#34;&gt;&lt;img" in text or "&lt;img" in text
    page = (site / "commitments" / "late-bridge.html").read_text()
    assert "Build the bridge &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<blockquote lang="es">&#34;&gt;&lt;img src=x onerror=alert(1)&gt; construiremos' in page
    assert 'href="https://example.org/article?a=1&amp;b=2"' in page
    feed = feedparser.parse((site / "feed.atom").read_bytes())
    assert not feed.bozo
    assert feed.feed.title == "Pledges <script>alert(0)</script>"
    assert any("<script>alert(2)</script>" in e.summary for e in feed.entries)


@both_backends
def test_the_trend_counts_each_month_as_the_as_of_view_does(demo: Cli, tmp_path: Path) -> None:
    demo.ok(
        "record",
        "darien-visit",
        "status",
        "broken",
        "--source",
        "efe-2024-01-20",
        "--on",
        "2024-03-03",
    )
    demo.ok(
        "record", "fentanyl-meeting-feb-2024", "progress", "--note", "later", "--on", "2024-02-20"
    )
    tracker = Tracker.open(demo.db_url)
    try:
        site = collect(tracker, View(as_of=date(2024, 6, 1)))
        assert site.trend_ends == month_ends(date(2023, 12, 20), date(2024, 6, 1))
        assert site.trend_ends[0] == date(2023, 12, 31) and site.trend_ends[-1] == date(2024, 6, 1)
        for end, counts in zip(site.trend_ends, site.trend_counts, strict=True):
            with tracker.uow.read() as session:
                expected = Counter(s.status for s in states_in(session, View(as_of=end)))
            assert {s: n for s, n in counts.items() if n} == dict(expected), end
        march = site.trend_counts[site.trend_ends.index(date(2024, 3, 31))]
        assert march[Status.BROKEN] == 1
    finally:
        tracker.close()


def beside(directory: Path) -> list[str]:
    """What a folder holds besides the SQLite database: temporary folders would show."""
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("tracker.db"))


def test_a_directory_with_files_the_tracker_did_not_write_is_refused(
    demo: Cli, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    result = demo("publish", str(mine))
    assert (
        result.exit_code == 2 and "did not write" in result.stderr and "thesis.txt" in result.stderr
    )
    assert "Traceback" not in result.output
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]
    assert beside(tmp_path) == ["mine"]  # no leftovers

    site = tmp_path / "site"
    demo.ok("publish", str(site))
    (site / "commitments" / "notes.html").write_text("mine")  # someone's own file inside
    refused = demo("publish", str(site))
    assert refused.exit_code == 2 and "commitments/notes.html" in refused.stderr
    assert (site / "commitments" / "notes.html").read_text() == "mine"

    (site / "commitments" / "notes.html").unlink()
    (site / "drafts").mkdir()  # an empty folder of someone's is in the way too
    assert "drafts" in demo("publish", str(site)).stderr
    (site / "drafts").rmdir()
    demo.ok("publish", str(site))

    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert demo("publish", str(a_file)).exit_code == 2
    assert demo("scheduler", "run", "--once", "--publish-dir", str(mine)).exit_code == 2


def test_a_published_site_is_replaced_whole(demo: Cli, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()  # an empty DIR is fine
    demo.ok("publish", str(site))
    demo.ok("publish", str(site), "--as-of", "2024-01-10")  # before the Darién pledge
    assert not (site / "commitments" / "darien-visit.html").exists()
    assert (site / "commitments" / "reopen-border-crossings.html").exists()
    assert beside(tmp_path) == ["site"]
    assert oct(site.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_failure_halfway_leaves_the_earlier_site_in_place(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, [("index.html", b"old"), ("commitments/a.html", b"a")])

    def broken() -> object:
        yield "index.html", b"new"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_site(site, broken())  # type: ignore[arg-type]
    assert (site / "index.html").read_bytes() == b"old"
    assert beside(tmp_path) == ["site"]
    with pytest.raises(PublishRefused):
        write_site(tmp_path, [])  # holds "site", which is not in any manifest of its own


def test_the_scheduler_publishes_on_its_cadence(demo: Cli, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = demo("scheduler", "run", "--once", "--publish-dir", str(site), "--publish-every", "1h")
    assert (site / "index.html").is_file() and (site / "calendar.ics").is_file()
    runs = json.loads(demo.ok("scheduler", "status", "--format", "json").stdout)["runs"]
    publish = next(r for r in runs if r["job"] == "publish")
    assert publish["outcome"] == "ok" and publish["counts"]["commitments"] == 12
    assert result.exit_code in (0, 1)  # the remind job has no SMTP server here


def test_a_retracted_entry_is_struck_through_with_its_reason(demo: Cli, tmp_path: Path) -> None:
    demo.ok("record", "darien-visit", "note", "Visit on 3 March", "--on", "2024-02-01")
    entry = json.loads(demo.ok("show", "darien-visit", "--format", "json").stdout)["timeline"][-1]
    demo.ok("record", "darien-visit", "retract", str(entry["entry"]), "--reason", "wrong visit")
    assert "[retracted: wrong visit]" in demo.ok("show", "darien-visit").stdout
    demo.ok("publish", str(tmp_path / "site"))
    page = parse_entries(tmp_path / "site" / "commitments" / "darien-visit.html")
    assert page[f"entry-{entry['entry']}"] == ("entry retracted", True, "retracted: wrong visit")
    feed = feedparser.parse((tmp_path / "site" / "feed.atom").read_bytes())
    assert "retracts entry" in feed.entries[0].summary and "wrong visit" in feed.entries[0].summary


def parse_entries(path: Path) -> dict[str, tuple[str, bool, str]]:
    """Each timeline entry's class, whether it is inside <del>, and its reason."""

    class Entries(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: dict[str, list] = {}
            self.current: str | None = None
            self.in_reason = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "li" and (a.get("id") or "").startswith("entry-"):
                self.current = a["id"]
                self.found[self.current] = [a.get("class"), False, ""]
            elif self.current and tag == "del":
                self.found[self.current][1] = True
            self.in_reason = self.current is not None and a.get("class") == "reason"

        def handle_endtag(self, tag: str) -> None:
            if tag == "li":
                self.current = None

        def handle_data(self, data: str) -> None:
            if self.in_reason and self.current:
                self.found[self.current][2] += data
                self.in_reason = False

    parser = Entries()
    parser.feed(path.read_text(encoding="utf-8"))
    return {k: (v[0], v[1], v[2]) for k, v in parser.found.items()}


def test_an_empty_tracker_publishes_an_empty_site(sqlite_url: str, tmp_path: Path) -> None:
    Cli(sqlite_url).ok("publish", str(tmp_path / "site"))
    index = (tmp_path / "site" / "index.html").read_text()
    assert "No commitments yet." in index and "Nothing is overdue" in index
    assert not feedparser.parse((tmp_path / "site" / "feed.atom").read_bytes()).bozo
    assert vobject.readOne((tmp_path / "site" / "calendar.ics").read_text()).name == "VCALENDAR"


def test_a_base_url_makes_the_feed_and_calendar_links_absolute(demo: Cli, tmp_path: Path) -> None:
    base = "https://example.org/pledges/"
    demo.ok("publish", str(tmp_path / "site"), "--as-of", DAY, "--base-url", base)
    feed = feedparser.parse((tmp_path / "site" / "feed.atom").read_bytes())
    assert not feed.bozo
    assert all(e.link.startswith("https://example.org/pledges/commitments/") for e in feed.entries)
    assert feed.feed.links[0].href == "https://example.org/pledges/feed.atom"
    cal = vobject.readOne((tmp_path / "site" / "calendar.ics").read_text())
    event = next(e for e in cal.vevent_list if e.uid.value.startswith("deadline-fentanyl"))
    assert event.uid.value == "deadline-fentanyl-meeting-feb-2024@example.org"
    assert event.url.value == base + "commitments/fentanyl-meeting-feb-2024.html"
    bad = demo("publish", str(tmp_path / "other"), "--base-url", "javascript:alert(1)")
    assert bad.exit_code == 2 and not (tmp_path / "other").exists()

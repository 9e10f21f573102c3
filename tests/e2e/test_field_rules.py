"""The field rules: one-line text stays one line, every text field has a length the
schema can hold on both backends, and an owner is an address the mailer sends to.

The same rules hold for a file and for the command line, and a refusal is exit status
2 naming the file's line and field (or the option), with nothing written. Text stored
before the rules (older logs hold line breaks in titles) stays inside its entry when a
reminder digest shows it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from support.cli import Cli
from support.pgserver import PgServer
from support.smtp import SmtpSink

from tracker.adapters.mail import HeaderValueError, build_message
from tracker.domain.commitment import FollowUpSpec, MakeCommitment
from tracker.domain.deadlines import parse_due
from tracker.service_layer.app import Tracker
from tracker.service_layer.fileformat.rules import ID_MOST, OWNER_MOST, RULES
from tracker.service_layer.reminders import DigestItem, ReminderDigest

LINE_BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x85", "\u2028", "\u2029"]
BIDI = [*"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"]
FORGED = "Darien visit\r\n| fake | row |\n\nAll fulfilled"  # the title of issue 9
DARIEN = "darien-visit"


def refused(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)
    return result.output


def line_of(text: str, needle: str) -> int:
    (line,) = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return line


def owner_of(length: int) -> str:
    """An address of ``length`` characters, its local part and labels at their limits."""
    local = "d" * 64
    labels, left = [], length - len(local) - 1 - len(".org")
    while left > 0:
        labels.append("x" * min(63, left - 1 if left > 63 else left))
        left -= len(labels[-1]) + 1
    domain = ".".join(labels) + ".org"
    address = f"{local}@{domain}"
    assert len(address) == length, (len(address), length)
    return address


# --- one line: refused in a file, with the line and the field ----------------------------


def _file(char: str) -> dict[str, Any]:
    """A file whose every one-line field holds ``char``, behind a marker to find its line."""

    def bad(marker: str) -> str:
        return f"{marker}{char}x"

    return {
        "format": "commitments/v1",
        "actors": [
            {
                "id": "mx",
                "name": bad("v-name"),
                "kind": "government",
                "role": bad("v-role"),
                "aliases": [bad("v-alias")],
            }
        ],
        "sources": [
            {
                "id": "s1",
                "publisher": bad("v-publisher"),
                "title": bad("v-source-title"),
                "url": f"https://example.org/v-url{char}x",
            }
        ],
        "commitments": [
            {
                "id": "c1",
                "title": bad("v-title"),
                "made_by": ["mx"],
                "made_on": "2024-01-10",
                "occasion": bad("v-occasion"),
                "tags": [bad("v-tag")],
                "due": f"early February{char}2024",
                "follow_ups": [{"id": "f1", "due": "2024-02-01", "task": bad("v-task")}],
                "history": [
                    {
                        "on": "2024-01-11",
                        "kind": "follow_up",
                        "id": "f2",
                        "due": "2024-02-01",
                        "task": bad("v-later-task"),
                    }
                ],
            },
            {
                "id": "c2",
                "title": "Fine",
                "made_by": ["mx"],
                "made_on": "2024-01-10",
                "due": {"start": "2024-02-01", "end": "2024-02-10", "label": bad("v-label")},
            },
        ],
    }


ONE_LINE_PATHS = {
    "actors[0].name": "v-name",
    "actors[0].role": "v-role",
    "actors[0].aliases[0]": "v-alias",
    "sources[0].publisher": "v-publisher",
    "sources[0].title": "v-source-title",
    "sources[0].url": "v-url",
    "commitments[0].title": "v-title",
    "commitments[0].occasion": "v-occasion",
    "commitments[0].tags[0]": "v-tag",
    "commitments[0].due": "February",
    "commitments[0].follow_ups[0].task": "v-task",
    "commitments[0].history[0].task": "v-later-task",
    "commitments[1].due.label": "v-label",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The demo on SQLite, shared: every use here is refused and writes nothing."""
    return Cli(f"sqlite:///{tmp_path_factory.mktemp('demo')}/tracker.db").load_demo()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("char", LINE_BREAKS + BIDI, ids=lambda c: f"U+{ord(c[-1]):04X}")
def test_every_one_line_field_of_a_file_refuses_breaks_and_bidi_controls(
    demo: Cli, tmp_path: Path, fmt: str, char: str
) -> None:
    data = _file(char)
    if fmt == "json":
        text = json.dumps(data, indent=1)
    else:  # every value double-quoted and escaped, on the line of its key
        text = yaml.safe_dump(data, default_style='"', width=10_000, sort_keys=False)
    path = tmp_path / f"bad.{fmt}"
    path.write_text(text, encoding="utf-8")
    before = len(demo.events())
    out = refused(demo("import", str(path)), "nothing was written")
    lines = text.splitlines()
    for field, marker in ONE_LINE_PATHS.items():
        found = re.search(rf"bad\.{fmt}:(\d+): {re.escape(field)}: (.*)", out)
        assert found, (field, out)
        assert marker in lines[int(found.group(1)) - 1], (field, found.group(0))
        assert "must be one line" in found.group(2) or "bidirectional control" in found.group(2)
    assert len(demo.events()) == before


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_forged_title_of_the_issue_is_refused_at_its_line(
    demo: Cli, tmp_path: Path, fmt: str
) -> None:
    entry = {"id": "forged", "title": FORGED, "made_by": ["mx"], "made_on": "2024-01-10"}
    if fmt == "json":
        text = json.dumps({"format": "commitments/v1", "commitments": [entry]}, indent=1)
    else:
        text = (
            "format: commitments/v1\ncommitments:\n  - id: forged\n"
            f"    title: {json.dumps(FORGED)}\n    made_by: [mx]\n    made_on: 2024-01-10\n"
        )
    line = line_of(text, "title")
    path = tmp_path / f"forged.{fmt}"
    path.write_text(text, encoding="utf-8")
    before = len(demo.events())
    refused(
        demo("import", str(path)),
        f"forged.{fmt}:{line}: commitments[0].title: must be one line, but holds a line "
        "break (U+000D)",
    )
    assert len(demo.events()) == before


# --- one line: refused at the command line, naming the option ----------------------------

FOLLOW_UP = ("record", DARIEN, "follow-up", "ask", "--due", "2024-03-01")
ADD = ("add", "x", "--by", "mx")
CLI_ONE_LINE = [
    ("--title", lambda v: (*ADD, "--title", v)),
    ("--occasion", lambda v: (*ADD, "--title", "T", "--occasion", v)),
    ("--tag", lambda v: (*ADD, "--title", "T", "--tag", v)),
    ("--due", lambda v: (*ADD, "--title", "T", "--due", f"early February{v}2024")),
    ("DEADLINE", lambda v: ("record", DARIEN, "due", f"late{v}March 2024", "--note", "n")),
    ("--task", lambda v: (*FOLLOW_UP, "--task", v)),
    ("--name", lambda v: ("actors", "add", "x", "--kind", "body", "--name", v)),
    ("--alias", lambda v: ("actors", "add", "x", "--kind", "body", "--name", "X", "--alias", v)),
    ("--role", lambda v: ("actors", "add", "x", "--kind", "body", "--name", "X", "--role", v)),
    ("--publisher", lambda v: ("sources", "add", "x", "--publisher", v)),
    ("--title", lambda v: ("sources", "add", "x", "--publisher", "P", "--title", v)),
    ("--url", lambda v: ("sources", "add", "x", "--publisher", "P", "--url", f"https://a.org/{v}")),
]


@pytest.mark.parametrize("char", ["\r\n", "\v", "\x85", "\u2028", "\u202e", "\u2067", "\u061c"])
@pytest.mark.parametrize(("option", "args"), CLI_ONE_LINE, ids=[o for o, _ in CLI_ONE_LINE])
def test_every_one_line_option_refuses_breaks_and_bidi_controls(
    demo: Cli, option: str, args: Any, char: str
) -> None:
    before = len(demo.events())
    out = refused(demo(*args(f"a{char}b")), f"{option}: ")
    said = [line for line in out.splitlines() if f"{option}: " in line]
    assert any("must be one line" in s or "bidirectional control" in s for s in said), out
    assert len(demo.events()) == before


@pytest.mark.parametrize("owner", ["desk@example.org\u2028", "\u202edesk@example.org"])
def test_an_owner_with_a_break_or_bidi_control_is_refused(demo: Cli, owner: str) -> None:
    before = len(demo.events())
    refused(demo(*ADD, "--title", "T", "--owner", owner), "--owner: ", "is not an email address")
    refused(demo(*FOLLOW_UP, "--task", "T", "--owner", owner), "--owner: ", "not an email")
    assert len(demo.events()) == before


def test_notes_and_quotes_may_hold_lines_and_bidi_marks(db_url: str) -> None:
    cli = Cli(db_url).load_demo()
    note = "First line\r\nsecond line\rthird"
    quote = "\u0627\u0644\u0633\u0644\u0627\u0645\u200f (2024)\nline two"  # Arabic, an RLM
    cli.ok("record", DARIEN, "note", note, "--source", "efe-2024-01-20", "--quote", quote)
    (added,) = cli.events("NoteAdded")[-1:]
    assert added["data"]["note"] == "First line\nsecond line\nthird"
    assert added["data"]["quote"] == quote


# --- lengths: one set, the same on both backends ------------------------------------------


@pytest.fixture
def small(db_url: str) -> Cli:
    """An actor, a source and a commitment to record against: no more, to stay quick."""
    cli = Cli(db_url)
    cli.ok("actors", "add", "mx", "--name", "Mexico", "--kind", "government")
    cli.ok("sources", "add", "s1", "--publisher", "EFE")
    cli.ok("add", "c1", "--title", "T", "--by", "mx", "--on", "2024-01-10")
    return cli


def _over(key: str) -> str:
    return "x" * (RULES[key].most + 1)


C1_FOLLOW_UP = ("record", "c1", "follow-up")
S2 = ("sources", "add", "s2", "--publisher", "P")
LONG_TAG = "en-" + "-".join(["abcdefgh"] * 4)  # a well-formed BCP 47 tag, over 35 characters
OVER_LONG = [
    ("ID", ("add", "a" * (ID_MOST + 1), "--title", "T", "--by", "mx"), "id"),
    ("ID", ("add", "a" * 200, "--title", "T", "--by", "mx"), None),  # issue 9's PostgreSQL error
    ("--title", ("add", "c2", "--title", _over("title"), "--by", "mx"), "title"),
    ("--owner", ("add", "c2", "--title", "T", "--by", "mx", "--owner", owner_of(191)), "owner"),
    ("--tag", ("add", "c2", "--title", "T", "--by", "mx", "--tag", _over("tags")), "tags"),
    ("TEXT", ("record", "c1", "note", _over("note")), "note"),
    ("--quote", ("record", "c1", "progress", "--source", "s1", "--quote", _over("quote")), "quote"),
    ("FOLLOW_UP_ID", (*C1_FOLLOW_UP, "f" * 141, "--due", "2024-02-01", "--task", "T"), "id"),
    ("--task", (*C1_FOLLOW_UP, "f", "--due", "2024-02-01", "--task", _over("task")), "task"),
    ("ID", ("actors", "add", "b" * 141, "--name", "B", "--kind", "body"), "id"),
    ("--name", ("actors", "add", "b", "--name", _over("name"), "--kind", "body"), "name"),
    ("--publisher", ("sources", "add", "s2", "--publisher", _over("publisher")), "publisher"),
    ("--language", (*S2, "--language", LONG_TAG), "language"),
]  # fmt: skip


@pytest.mark.parametrize(("option", "args", "rule"), OVER_LONG, ids=[a[0] for a in OVER_LONG])
def test_an_over_long_value_is_refused_on_both_backends(
    small: Cli, option: str, args: tuple[str, ...], rule: str | None
) -> None:
    before = len(small.events())
    most = f"at most {RULES[rule].most:,} are allowed" if rule else "are allowed"
    refused(small(*args), f"{option}: ", most)
    assert len(small.events()) == before


def test_an_over_long_id_in_a_file_is_refused_with_its_line(small: Cli, tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(
        f"format: commitments/v1\ncommitments:\n  - id: {'a' * 200}\n    title: T\n"
        "    made_by: [mx]\n    made_on: 2024-01-10\n    owner: " + owner_of(254) + "\n"
    )
    before = len(small.events())
    out = refused(small("import", str(path)), "nothing was written")
    assert "long.yaml:3: commitments[0].id: is 200 characters long; at most 140" in out
    assert "long.yaml:7: commitments[0].owner: is 254 characters long; at most 190" in out
    assert len(small.events()) == before


def _longest() -> dict[str, Any]:
    """A file with every field at its longest allowed value."""

    def most(key: str, char: str = "x") -> str:
        return char * RULES[key].most

    actor_id, source_id = "a" * ID_MOST, "s" * ID_MOST
    commitment_id, follow_up_id = "c" * ID_MOST, "f" * ID_MOST
    owner = owner_of(OWNER_MOST)
    return {
        "format": "commitments/v1",
        "actors": [
            {
                "id": actor_id,
                "name": most("name", "N"),
                "kind": "organization",
                "role": most("role"),
                "aliases": [most("aliases", "A")],
            }
        ],
        "sources": [
            {
                "id": source_id,
                "publisher": most("publisher"),
                "title": most("title"),
                "url": "https://example.org/" + "u" * (RULES["url"].most - 20),
                "published": "2024-01-09",
                "language": "en-" + "-".join(["abcdefgh"] * 3) + "-abcde",
            }
        ],
        "commitments": [
            {
                "id": commitment_id,
                "title": most("title", "T"),
                "made_by": [actor_id],
                "made_on": "2024-01-10",
                "occasion": most("occasion"),
                "due": {"start": "2024-01-20", "end": "2024-02-01", "label": most("label")},
                "tags": [most("tags")],
                "owner": owner,
                "source": source_id,
                "quote": ("q" * 99 + "\n") * (RULES["quote"].most // 100),
                "follow_ups": [
                    {"id": follow_up_id, "due": "2024-02-05", "task": most("task"), "owner": owner},
                ],
                "history": [
                    {"on": "2024-01-12", "kind": "note", "note": "n" * RULES["note"].most},
                ],
            }
        ],
    }  # fmt: skip


@pytest.mark.postgres
def test_the_longest_values_go_from_sqlite_to_postgresql_and_through_the_jobs(
    sqlite_url: str, pg_server: PgServer, tmp_path: Path
) -> None:
    """Exported from SQLite, imported into PostgreSQL and exported again unchanged; the
    overdue flag and the reminder digest build their keys from the longest ids and owner."""
    data = _longest()
    assert len(data["sources"][0]["language"]) == RULES["language"].most
    assert len(data["sources"][0]["url"]) == RULES["url"].most
    source = tmp_path / "longest.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    lite = Cli(sqlite_url)
    lite.ok("import", str(source))
    exported = tmp_path / "from-sqlite.yaml"
    lite.ok("export", "-o", str(exported))

    name = "t_longest"
    with SmtpSink() as sink:
        pg = Cli(
            pg_server.create_database(name),
            {"TRACKER_SMTP_URL": sink.url, "TRACKER_MAIL_FROM": "tracker@example.org"},
        )
        try:
            pg.ok("import", str(exported))
            assert pg.ok("export").stdout == exported.read_text()
            assert pg.ok("overdue", "--flag", "--now", "2024-02-11T09:00:00Z").exit_code == 0
            assert len(pg.events("OverdueFlagged")) == 2  # the commitment and its follow-up
            pg.ok("remind", "--now", "2024-02-11T09:00:00Z")
            assert [r.rcpt_tos for r in sink.received] == [(owner_of(OWNER_MOST),)]
        finally:
            pg_server.drop_database(name)


# --- owners: the mailer's own rule, at entry ----------------------------------------------

REFUSED_BY_THE_MAILER = [
    "désk@exämple.org",
    "a@b..c",
    "desk@exämple.org",
    f"{'d' * 65}@example.org",
]


@pytest.mark.parametrize("owner", REFUSED_BY_THE_MAILER)
def test_an_owner_the_mailer_would_refuse_is_refused_at_entry(
    demo: Cli, tmp_path: Path, owner: str
) -> None:
    before = len(demo.events())
    with pytest.raises(HeaderValueError, match="one e-mail address"):
        build_message(
            sender="tracker@example.org",
            to=owner,
            subject="s",
            text="t",
            html=None,
            message_id="<a@example.org>",
            date=datetime(2024, 2, 11, tzinfo=UTC),
        )
    refused(demo(*ADD, "--title", "T", "--owner", owner), "--owner: ", "is not an email address")
    refused(demo(*FOLLOW_UP, "--task", "T", "--owner", owner), "--owner: ", "not an email")
    path = tmp_path / "owner.json"
    entry = {"id": "x", "title": "T", "made_by": ["mx"], "made_on": "2024-01-10", "owner": owner}
    text = json.dumps({"format": "commitments/v1", "commitments": [entry]}, indent=1)
    path.write_text(text)
    line = line_of(text, '"owner"')
    refused(demo("import", str(path)), f"owner.json:{line}: commitments[0].owner: ", "not an email")
    assert len(demo.events()) == before


# --- a digest keeps every line of a stored value inside its entry ------------------------


def test_a_multi_line_title_stays_inside_its_entry_in_both_parts_of_the_digest() -> None:
    item = DigestItem(DARIEN, FORGED, "follow-up ask: Ask\u2028- fake entry", "2024-02-01", 3)
    digest = ReminderDigest("desk@example.org", date(2024, 2, 11), overdue=[item])
    text = digest.text()
    lines = text.splitlines()
    start = lines.index("Overdue:") + 1
    entry = lines[start : lines.index("", start)]
    assert entry == [
        f"  - {DARIEN}: Darien visit",
        "    | fake | row |",
        "    ",
        "    All fulfilled — follow-up ask: Ask",
        "    - fake entry (deadline 2024-02-01; 3 days late)",
    ]
    assert [line for line in lines if line.startswith("  - ")] == entry[:1]
    assert "<li>darien-visit: Darien visit<br>| fake | row |<br><br>All fulfilled" in digest.html()
    assert "\n" not in digest.html()


def test_a_stored_multi_line_title_is_sent_inside_its_entry(db_url: str) -> None:
    """Stored through the library, as logs written before titles had to be one line hold."""
    with SmtpSink() as sink:
        env = {"TRACKER_SMTP_URL": sink.url, "TRACKER_MAIL_FROM": "tracker@example.org"}
        cli = Cli(db_url, env)
        cli.ok("actors", "add", "mx", "--name", "Mexico", "--kind", "government")
        command = MakeCommitment(
            "forged",
            FORGED,
            ("mx",),
            date(2024, 2, 1),
            due=parse_due("2024-02-05"),
            owner="desk@example.org",
            follow_ups=(FollowUpSpec("ask", date(2024, 2, 12), "Ask\nAll fulfilled"),),
        )
        app = Tracker.open(db_url)
        try:
            app.handle("forged", command, name="test")
        finally:
            app.close()
        cli.ok("remind", "--now", "2024-02-11T09:00:00Z")
        (message,) = sink.messages
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    text = str(plain.get_content())
    assert [line for line in text.splitlines() if line.startswith("  - ")] == [
        "  - forged: Darien visit",
        "  - forged: Darien visit",
    ]
    assert "\n    All fulfilled (deadline 2024-02-05; 6 days late)\n" in text
    assert "\n    All fulfilled (deadline 2024-02-12; due in 1 day)\n" in text
    assert not any(line.startswith(("All", "|")) for line in text.splitlines())
    assert "Darien visit<br>| fake | row |<br><br>All fulfilled" in str(html.get_content())


def test_a_stored_owner_the_mailer_refuses_does_not_stop_the_other_digests(db_url: str) -> None:
    """Stored through the library, as before owners were checked by the mailer's rule:
    refused before any connection, by that same rule, and the other owner is sent to."""
    with SmtpSink() as sink:
        env = {"TRACKER_SMTP_URL": sink.url, "TRACKER_MAIL_FROM": "tracker@example.org"}
        cli = Cli(db_url, env)
        cli.ok("actors", "add", "mx", "--name", "Mexico", "--kind", "government")
        app = Tracker.open(db_url)
        try:
            for cid, owner in (("bad", "desk@exämple.org"), ("good", "desk@example.org")):
                made = MakeCommitment(
                    cid, "T", ("mx",), date(2024, 2, 1), due=parse_due("2024-02-05"), owner=owner
                )
                app.handle(cid, made, name="test")
        finally:
            app.close()
        result = cli("remind", "--now", "2024-02-11T09:00:00Z")
        assert [r.rcpt_tos for r in sink.received] == [("desk@example.org",)]
    assert result.exit_code == 1, result.output
    assert "desk@exämple.org" in result.stderr and "not ASCII" in result.stderr

"""The `tracker` command line, driven through click's runner against a real database.

Covers the issue's acceptance criteria verbatim, every output format, exit statuses
(0 fine, 1 a conflict, 2 bad usage or data) and that a user's mistake is a message,
never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from support.db_kinds import both_backends

from tracker.cli.main import cli

FENTANYL = "fentanyl-meeting-feb-2024"
EIGHT = [
    "reopen-border-crossings",
    "crack-down-on-smugglers",
    "mexico-officials-visit-us-jan-2024",
    "darien-visit",
    "guatemala-outreach",
    FENTANYL,
    "address-root-causes",
    "humane-border-management",
]

Run = Callable[..., Result]


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Run:
    """`tracker --db db_url ARGS…`; TRACKER_DB points elsewhere to prove --db wins."""
    runner = CliRunner(env={"TRACKER_DB": str(tmp_path / "not-this.db")})

    def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
        return runner.invoke(cli, ["--db", db_url, *args], env=env)

    return invoke


@pytest.fixture
def demo(run: Run) -> Run:
    result = run("demo")
    assert result.exit_code == 0, result.output
    return run


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def refused(result: Result, *fragments: str, code: int = 2) -> str:
    """A user's mistake: the given exit status, a message naming it, no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output
    return result.output


def rows(result: Result) -> list[dict[str, object]]:
    return json.loads(ok(result).stdout)


def by_id(items: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["id"]): r for r in items}


def event_count(run: Run) -> int:
    return len(ok(run("events")).stdout.splitlines())


# --- the acceptance criteria --------------------------------------------------------


@both_backends
def test_status_json_lists_the_eight_commitments_with_due_windows_and_overdue(demo: Run) -> None:
    found = by_id(rows(demo("status", "--format", "json")))
    assert set(EIGHT) <= set(found)
    for cid in EIGHT:
        row = found[cid]
        assert {"id", "title", "made_by", "status", "due", "overdue"} <= set(row)
        assert isinstance(row["overdue"], bool)
        assert row["due"] is None or set(row["due"]) == {"start", "end", "label"}  # type: ignore[arg-type]
    assert found[FENTANYL]["due"] == {
        "start": "2024-02-01",
        "end": "2024-02-10",
        "label": "early February 2024",
    }
    assert found[FENTANYL]["overdue"] is True  # true every day since 10 February 2024
    assert found["mexico-officials-visit-us-jan-2024"]["due"] == {
        "start": "2024-01-01",
        "end": "2024-01-31",
        "label": "January 2024",
    }
    assert found["mexico-officials-visit-us-jan-2024"]["overdue"] is False  # fulfilled
    for cid in set(EIGHT) - {FENTANYL, "mexico-officials-visit-us-jan-2024"}:
        assert (found[cid]["due"], found[cid]["overdue"]) == (None, False)


@both_backends
def test_as_of_shows_the_fentanyl_meeting_pending_then_overdue(demo: Run) -> None:
    before = by_id(rows(demo("status", "--as-of", "2024-01-25", "--format", "json")))[FENTANYL]
    assert (before["status"], before["overdue"]) == ("pledged", False)
    after = rows(demo("status", "--as-of", "2024-02-11", "--format", "json"))
    assert after[0]["id"] == FENTANYL  # overdue first
    assert (after[0]["status"], after[0]["overdue"]) == ("pledged", True)
    table = ok(demo("status", "--as-of", "2024-01-25")).stdout
    line = next(x for x in table.splitlines() if x.startswith(FENTANYL))
    assert " pledged " in line and line.rstrip().endswith("2024-02-15")
    assert "0 overdue (judged on 2024-01-25)" in table
    table = ok(demo("status", "--as-of", "2024-02-11")).stdout
    assert table.splitlines()[1].startswith(FENTANYL)
    assert "yes, 1 day late" in table
    assert "1 overdue, 1 more with overdue follow-ups (judged on 2024-02-11)" in table


def test_demo_is_idempotent(run: Run) -> None:
    first = ok(run("demo"))
    assert "Loaded the demo dataset" in first.stderr
    assert FENTANYL in first.stdout and "commitments," in first.stdout
    count = event_count(run)
    second = ok(run("demo"))
    assert "already loaded" in second.stderr
    assert event_count(run) == count
    assert second.stdout.splitlines()[0] == first.stdout.splitlines()[0]


def test_demo_on_a_fresh_machine_creates_the_default_database(tmp_path: Path) -> None:
    env = {"TRACKER_DB": None, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    result = ok(CliRunner(env=env).invoke(cli, ["demo"]))
    assert FENTANYL in result.stdout
    assert (tmp_path / "data" / "tracker" / "tracker.db").is_file()
    again = ok(CliRunner(env=env).invoke(cli, ["status", "--format", "json"]))
    assert set(EIGHT) <= set(by_id(json.loads(again.stdout)))


# --- output formats and filters ------------------------------------------------------


def test_markdown_is_a_table_with_one_row_per_commitment(demo: Run) -> None:
    lines = ok(demo("status", "--format", "markdown", "--as-of", "2024-02-11")).stdout.splitlines()
    assert lines[0] == "| id | title | made by | status | due | overdue | next follow-up |"
    assert lines[1] == "| --- | --- | --- | --- | --- | --- | --- |"
    assert len(lines) == 2 + 12
    assert lines[2].startswith(f"| {FENTANYL} |") and "| yes, 1 day late |" in lines[2]


def test_csv_has_a_header_and_one_row_per_commitment(demo: Run) -> None:
    result = ok(demo("status", "--format", "csv", "--as-of", "2024-02-11"))
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == [
        "id",
        "title",
        "made_by",
        "made_on",
        "status",
        "due.start",
        "due.end",
        "due.label",
        "overdue",
        "days_late",
        "days_late_at_fulfilment",
        "owner",
        "tags",
        "next_follow_up",
        "overdue_follow_ups",
        "last_evidence_on",
    ]
    assert len(table) == 12
    first = table[0]
    assert first["id"] == FENTANYL and first["overdue"] == "true" and first["days_late"] == "1"
    assert (first["due.start"], first["due.end"]) == ("2024-02-01", "2024-02-10")
    assert first["due.label"] == "early February 2024"
    assert (first["owner"], first["made_on"]) == ("desk@example.org", "2024-01-19")
    assert first["tags"] == "fentanyl; security; meeting"


def test_csv_of_rows_without_deadlines(demo: Run) -> None:
    result = ok(demo("status", "--format", "csv", "--tag", "panama"))
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in table] == ["darien-visit"]
    assert table[0]["made_by"] == "mx; us" and table[0]["overdue"] == "false"
    assert table[0]["due.start"] == table[0]["due.end"] == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--status", "fulfilled"],
            {"us-delegation-visit-mexico", "mexico-officials-visit-us-jan-2024"},
        ),
        (
            ["--status", "Fulfilled", "--tag", "meeting"],
            {"us-delegation-visit-mexico", "mexico-officials-visit-us-jan-2024"},
        ),
        (["--tag", "panama"], {"darien-visit"}),
        (["--by", "Casa Blanca"], set()),
        (["--overdue", "--as-of", "2024-02-11"], {FENTANYL, "reopen-border-crossings"}),
        (["--overdue", "--as-of", "2024-01-25"], set()),
    ],
)
def test_status_filters(demo: Run, args: list[str], expected: set[str]) -> None:
    assert set(by_id(rows(demo("status", "--format", "json", *args)))) == expected


def test_by_matches_aliases_and_members(demo: Run) -> None:
    ok(
        demo(
            "add", "barcena-visit", "--title", "Bárcena visits Panama",
            "--by", "Alicia Barcenas", "--to", "Panamá", "--on", "2024-01-20",
        )
    )  # fmt: skip
    for name in ("alicia bárcena", "ALICIA BARCENA", "Secretaría de Relaciones Exteriores"):
        assert list(by_id(rows(demo("status", "-f", "json", "--by", name)))) == ["barcena-visit"]
    assert "barcena-visit" in by_id(rows(demo("status", "-f", "json", "--by", "mexico")))
    refused(demo("status", "--by", "Alicia Barcenaz"), "no actor called", "did you mean barcena?")


def test_time_options_are_validated(demo: Run) -> None:
    refused(demo("status", "--as-of", "25/01/2024"), "is not a date in ISO form")
    refused(demo("status", "--known-at", "yesterday"), "is not an ISO 8601 timestamp")
    assert rows(demo("status", "-f", "json", "--known-at", "2000-01-01")) == []


def test_show_text_and_json(demo: Run) -> None:
    text = ok(demo("show", FENTANYL, "--as-of", "2024-02-11")).stdout
    assert text.startswith(f"{FENTANYL}: The US and Mexican")
    assert "yes, 1 day late (judged on 2024-02-11)" in text
    assert "“Both committees will meet again in early February" in text
    assert "#2" in text and "check-fentanyl-meeting" in text
    data = json.loads(ok(demo("show", "darien-visit", "--format", "json")).stdout)
    assert data["id"] == "darien-visit" and data["made_by"] == ["mx", "us"]
    assert data["sources"][0]["language"] == "en"
    assert [e["kind"] for e in data["timeline"]] == ["made", "follow-up"]
    assert ok(demo("show", "darien")).stdout.startswith("darien-visit:")  # a unique prefix
    refused(demo("show", "darein"), "no commitment 'darein'", "did you mean darien-visit?")


# --- writing -----------------------------------------------------------------------


@both_backends
def test_add_and_record_every_kind_of_entry(demo: Run) -> None:
    cid = "fentanyl-meeting-mar-2024"
    out = ok(
        demo(
            "add", cid, "--title", "Committees meet on fentanyl", "--by", "mx", "--by", "us",
            "--on", "2024-02-12", "--due", "mid March 2024", "--tag", "fentanyl",
            "--source", "efe-2024-01-20", "--quote", "Both committees will meet again",
            "--owner", "desk@example.org",
        )
    ).stdout  # fmt: skip
    assert out.startswith(f"{cid}: made (event ")
    record = ("record", cid)
    ok(demo(*record, "progress", "--on", "2024-02-20", "--note", "dates set"))
    ok(demo(*record, "due", "late March 2024", "--on", "2024-02-21", "--note", "postponed"))
    ok(demo(*record, "note", "SRE confirms", "--on", "2024-02-22"))
    schedule = ("follow-up", "ask-sre", "--due", "2024-03-25", "--task", "Ask")
    ok(demo(*record, *schedule, "--on", "2024-02-22"))
    ok(demo(*record, "note", "wrong commitment", "--on", "2024-02-23"))
    ok(demo(*record, "retract", "6", "--reason", "meant for another", "--on", "2024-02-24"))
    ok(demo(*record, "done", "ask-sre", "--on", "2024-03-01", "--note", "asked"))
    ok(demo(*record, "status", "fulfilled", "--on", "2024-03-28", "--source", "efe-2024-01-20"))
    d = json.loads(ok(demo("show", cid, "-f", "json")).stdout)
    assert (d["status"], d["overdue"]) == ("fulfilled", False)
    assert d["due"]["label"] == "late March 2024"
    assert d["follow_ups"][0]["done_on"] == "2024-03-01"
    assert [e["kind"] for e in d["timeline"]] == [
        "made", "progress", "deadline", "note", "follow-up", "note", "retraction",
        "follow-up done", "status",
    ]  # fmt: skip
    assert [e["entry"] for e in d["timeline"] if e["retracted"]] == [6]
    ok(demo("projections", "rebuild"))


def test_recording_mistakes_are_refused_with_exit_2(demo: Run) -> None:
    count = event_count(demo)
    record = ("record", FENTANYL)
    refused(demo(*record, "status", "fulfilled"), "verdict and needs a source")
    refused(demo(*record, "progress", "--source", "nowhere"), "unknown source 'nowhere'")
    refused(demo(*record, "due", "someday soon", "--note", "x"), "someday soon")
    refused(demo(*record, "retract", "1", "--reason", "x"), "cannot be retracted")
    refused(demo(*record, "done", "nope"), "has no follow-up 'nope'")
    refused(demo("record", "no-such-thing", "note", "x"), "make it first")
    refused(demo("add", "x-1", "--title", "T", "--by", "mxx"), "did you mean mx?")
    refused(demo("add", "Bad Id", "--title", "T", "--by", "mx"), "not a slug")
    refused(demo("add", "x-2", "--title", "T", "--by", "mx", "--owner", "nobody"), "not an email")
    refused(demo("add", FENTANYL, "--title", "T", "--by", "mx"), "already exists")
    refused(demo("status", "--format", "xml"), "Invalid value for '--format'")
    assert event_count(demo) == count


@pytest.mark.parametrize(
    "args", [("record", FENTANYL, "status", "done"), ("status", "--status", "done")]
)
def test_an_unknown_status_name_is_a_usage_error(demo: Run, args: tuple[str, ...]) -> None:
    refused(demo(*args), "unknown status 'done'; use one of: pledged")


@both_backends
def test_a_stale_expected_version_is_a_conflict(demo: Run) -> None:
    result = demo("record", FENTANYL, "note", "x", "--expect-version", "1")
    refused(result, "is at version 2, not 1", code=1)


def test_reopening_a_final_status_needs_a_note(demo: Run) -> None:
    cid = "mexico-officials-visit-us-jan-2024"
    refused(demo("record", cid, "status", "in_progress"), "needs a note saying why")
    ok(demo("record", cid, "status", "in_progress", "--note", "the talks were not held"))


def test_actors_and_sources(demo: Run) -> None:
    actors = by_id(rows(demo("actors", "--format", "json")))
    assert actors["barcena"]["aliases"] == ["Alicia Barcena", "Alicia Barcenas"]
    assert actors["barcena"]["member_of"] == "sre"
    person = ("--kind", "person", "--member-of")
    sheinbaum = ("sheinbaum", "--name", "Claudia Sheinbaum", "--alias", "Claudia Sheinbaum Pardo")
    ok(demo("actors", "add", *sheinbaum, *person, "mx"))
    refused(demo("actors", "add", "x", "--name", "X", *person, "zz"), "unknown actor 'zz'")
    refused(demo("actors", "add", "sheinbaum", "--name", "C", "--kind", "person"), "already exists")
    ok(demo("add", "sheinbaum-pledge", "--title", "T", "--by", "claudia sheinbaum pardo"))
    sources = by_id(rows(demo("sources", "--format", "json")))
    assert sources["cnn-2023-12-27"]["language"] == "es"
    ok(demo("sources", "add", "efe-2024-02-20", "--publisher", "EFE", "--language", "es"))
    bad_language = ("s-x", "--publisher", "X", "--language", "not a tag")
    refused(demo("sources", "add", *bad_language), "BCP 47")


# --- import, export, events ---------------------------------------------------------

MALFORMED = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
    colour: green
commitments:
  - id: bad-date
    title: A bad date
    made_by: [mx]
    made_on: 2024-13-45
  - id: unknown-actor
    title: An unknown actor
    made_by: [mxx]
    made_on: 2024-01-19
  - id: verdict
    title: A verdict without its source
    made_by: [mx]
    made_on: 2024-01-19
    history:
      - on: 2024-02-01
        kind: status
        status: fulfilled
"""


def test_a_malformed_file_reports_every_problem_and_writes_nothing(
    demo: Run, tmp_path: Path
) -> None:
    count = event_count(demo)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MALFORMED, encoding="utf-8")
    out = refused(demo("import", str(bad)), f"{bad}: 4 problems, nothing was written")
    assert f"{bad}:6: actors[0].colour: unknown key" in out
    assert f"{bad}:11: commitments[0].made_on: '2024-13-45' is not a date" in out
    assert f"{bad}:14: commitments[1].made_by[0]: unknown actor 'mxx'; did you mean mx?" in out
    assert f"{bad}:21: commitments[2].history[0]: status fulfilled is a verdict" in out
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("format: commitments/v1\ncommitments: [\n  {id: x\n", encoding="utf-8")
    refused(demo("import", str(syntax)), f"{syntax}:", "invalid YAML")
    refused(demo("import", str(tmp_path / "missing.yaml")), "no such file")
    assert event_count(demo) == count


@both_backends
def test_export_import_export_through_the_cli(demo: Run, tmp_path: Path) -> None:
    first = ok(demo("export")).stdout
    assert first.startswith("# commitments/v1")
    path = tmp_path / "export.yaml"
    path.write_text(first, encoding="utf-8")
    assert "nothing new" in ok(demo("import", str(path))).stdout
    fresh = ["--db", str(tmp_path / "fresh.db")]
    runner = CliRunner()
    assert "events appended" in ok(runner.invoke(cli, [*fresh, "import", str(path)])).stdout
    assert ok(runner.invoke(cli, [*fresh, "export"])).stdout == first
    out = tmp_path / "events.jsonl"
    ok(demo("export", "--format", "jsonl", "-o", str(out)))
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(events) == event_count(demo)


@both_backends
def test_events_are_json_lines_in_log_order(demo: Run) -> None:
    lines = [json.loads(x) for x in ok(demo("events")).stdout.splitlines()]
    assert [e["position"] for e in lines] == list(range(1, len(lines) + 1))
    assert lines[0]["type"] == "ActorRegistered"
    one = ok(demo("events", "--stream", f"commitment:{FENTANYL}")).stdout
    stream = [json.loads(x) for x in one.splitlines()]
    assert [e["type"] for e in stream] == ["CommitmentMade", "FollowUpScheduled"]
    assert len(ok(demo("events", "--after", str(len(lines) - 2))).stdout.splitlines()) == 2


@both_backends
def test_projections_rebuild(demo: Run) -> None:
    assert "the projections were equal to the log" in ok(demo("projections", "rebuild")).stdout


# --- the database option, help, and no tracebacks --------------------------------------


def test_tracker_db_environment_variable(demo: Run, db_url: str) -> None:
    runner = CliRunner(env={"TRACKER_DB": db_url})
    found = by_id(json.loads(ok(runner.invoke(cli, ["status", "-f", "json"])).stdout))
    assert set(EIGHT) <= set(found)


def test_an_unsupported_database_url_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", "mysql://x@y/z", "status"])
    refused(result, "unsupported database URL scheme 'mysql'")


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(commands(cli)), ids=" ".join)
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    if path[0] == "record" and len(path) > 1:
        path = ("record", "some-id", *path[1:])
    result = ok(CliRunner().invoke(cli, [*path, "--help"]))
    assert "Example" in result.stdout


def test_a_mistake_in_a_real_process_is_a_message_without_a_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("tracker")
    db = str(tmp_path / "p.db")
    bad = tmp_path / "bad.yaml"
    bad.write_text(MALFORMED, encoding="utf-8")
    for args in (["show", "nope"], ["import", str(bad)], ["status", "--by", "nobody"]):
        proc = subprocess.run([str(exe), "--db", db, *args], capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.strip()


def test_a_database_path_that_cannot_be_created_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(blocker / "x.db"), "status"])
    refused(result, f"cannot create the database file {blocker / 'x.db'}")


# --- dates and the clock ------------------------------------------------------------


def fixed_clock(moment: str) -> object:
    """The clock stopped at ``moment`` (ISO 8601), for this process's commands."""
    from datetime import datetime

    import time_machine

    return time_machine.travel(datetime.fromisoformat(moment), tick=False)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("status", "--known-at", "9999-12-31"), "--known-at"),  # overflowed in UTC
        (("status", "--known-at", "0001-01-01T00:00:00+05:00"), "--known-at"),
        (("status", "--as-of", "0999-12-31"), "--as-of"),
        (("show", FENTANYL, "--as-of", "3000-01-01"), "--as-of"),
        (("scorecard", "--known-at", "2999-12-31T23:00:00-05:00"), "--known-at"),
        (("overdue", "--now", "9999-12-31"), "--now"),
        (("record", FENTANYL, "note", "x", "--on", "1899-12-31"), "--on"),
        (("record", FENTANYL, "follow-up", "f", "--task", "t", "--due", "9999-01-01"), "--due"),
    ],
)
def test_a_date_or_time_outside_1900_to_2999_is_a_usage_error(
    demo: Run, args: tuple[str, ...], option: str
) -> None:
    count = event_count(demo)
    out = refused(demo(*args), f"Invalid value for '{option}'", "1900-01-01 to 2999-12-31")
    assert "OverflowError" not in out
    assert event_count(demo) == count


def test_the_ends_of_the_span_are_accepted(demo: Run) -> None:
    assert len(rows(demo("status", "-f", "json", "--known-at", "2999-12-31"))) >= 8
    assert rows(demo("status", "-f", "json", "--as-of", "1900-01-01")) == []
    ok(demo("record", FENTANYL, "follow-up", "far", "--task", "t", "--due", "2999-12-31"))


def test_nothing_is_recorded_as_happening_after_tomorrow(demo: Run) -> None:
    count = event_count(demo)
    with fixed_clock("2025-06-01T12:00:00+00:00"):
        future = "2025-06-03 is in the future (today is 2025-06-01 in UTC)"
        refused(demo("record", FENTANYL, "note", "x", "--on", "2025-06-03"), future)
        refused(demo("record", FENTANYL, "progress", "--note", "x", "--on", "2099-01-01"))
        refused(demo("add", "later", "--title", "T", "--by", "mx", "--on", "2025-06-03"), future)
        assert event_count(demo) == count
        # A day of slack for time zones ahead of UTC; deadlines may lie years ahead.
        ok(demo("record", FENTANYL, "note", "tomorrow in Auckland", "--on", "2025-06-02"))
        ok(
            demo(
                "add", "later", "--title", "T", "--by", "mx", "--due", "2031", "--on", "2025-06-01"
            )
        )
        ok(demo("record", "later", "due", "2035", "--note", "postponed"))
        ok(demo("record", "later", "follow-up", "f", "--task", "t", "--due", "2030-01-01"))
    assert event_count(demo) == count + 4


def test_recording_about_a_commitment_never_made_names_it(demo: Run) -> None:
    refused(demo("record", "no-such-thing", "note", "x"), "no such commitment 'no-such-thing'")


def test_a_follow_up_cannot_be_done_before_it_was_scheduled(demo: Run) -> None:
    record = ("record", FENTANYL)
    ok(
        demo(
            *record,
            "follow-up",
            "ask",
            "--task",
            "Ask",
            "--due",
            "2024-03-01",
            "--on",
            "2024-02-01",
        )
    )
    count = event_count(demo)
    refused(
        demo(*record, "done", "ask", "--on", "2024-01-31"),
        "follow-up 'ask' cannot be done on 2024-01-31, before it was scheduled (2024-02-01)",
    )
    assert event_count(demo) == count
    ok(demo(*record, "done", "ask", "--on", "2024-02-01"))


FROM_THE_FUTURE = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
commitments:
  - id: from-the-future
    title: Made after today
    made_by: [mx]
    made_on: 2025-06-05
    history:
      - on: 2025-06-06
        kind: note
        note: also later
  - id: later-evidence
    title: Made before today, evidence after it
    made_by: [mx]
    made_on: 2025-05-01
    due: 2031
    follow_ups:
      - id: check
        due: 2030-01-01
        task: Check, years ahead
    history:
      - on: 2025-06-02
        kind: note
        note: tomorrow in Auckland
      - on: 2025-06-03
        kind: progress
        note: too soon
"""


def test_an_import_with_entries_after_tomorrow_names_each_and_writes_nothing(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "future.yaml"
    path.write_text(FROM_THE_FUTURE, encoding="utf-8")
    with fixed_clock("2025-06-01T12:00:00+00:00"):
        out = refused(run("import", str(path)), f"{path}: 2 problems, nothing was written")
    today = "(today is 2025-06-01 in UTC)"
    assert f"{path}:10: commitments[0].made_on: 2025-06-05 is in the future {today}" in out
    assert f"{path}:28: commitments[1].history[1].on: 2025-06-03 is in the future {today}" in out
    assert "no such commitment" not in out  # a refused commitment's entries are not judged
    assert event_count(run) == 0


def test_entries_the_log_already_holds_are_not_judged_by_their_date_again(
    demo: Run, tmp_path: Path
) -> None:
    """A log from before the check may hold a day now refused; its export re-imports."""
    with fixed_clock("2030-01-01T12:00:00+00:00"):
        ok(demo("record", FENTANYL, "note", "meant 2024", "--on", "2029-12-31"))
    path = tmp_path / "export.yaml"
    path.write_text(ok(demo("export")).stdout, encoding="utf-8")
    entry = len(json.loads(ok(demo("show", FENTANYL, "-f", "json")).stdout)["timeline"])
    with fixed_clock("2025-06-01T12:00:00+00:00"):
        assert "nothing new" in ok(demo("import", str(path))).stdout
        ok(demo("record", FENTANYL, "retract", str(entry), "--reason", "wrong year"))

"""Terminal output: tables that fit the screen, colours that mean something, a pager,
quiet closed pipes, and the formats scripts read.

Click's runner has no terminal, so most tests set the documented seam
``TRACKER_FORCE_TERMINAL=1`` and ``$COLUMNS``; the pager and closed pipes are tried
with real processes, a pseudo-terminal and real pipes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support.cli import Cli

from tracker.cli import reports
from tracker.cli.output import EMPTY_HINT, csv_cell, emit
from tracker.cli.reports import STATUS_COLUMNS
from tracker.service_layer import queries

ANSI = re.compile(r"\x1b\[[0-9;]*m")
DAY = "2024-03-02"
FENTANYL = "fentanyl-meeting-feb-2024"


def terminal(columns: int, colour: bool = False) -> dict[str, str | None]:
    return {
        "TRACKER_FORCE_TERMINAL": "1",
        "COLUMNS": str(columns),
        "NO_COLOR": None if colour else "1",
    }


@pytest.fixture
def cli(sqlite_url: str) -> Cli:
    return Cli(sqlite_url).load_demo()


def rows(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli.ok("status", "--as-of", DAY, "--format", "json", *args).stdout)


def test_at_80_columns_ids_and_dates_stay_whole_and_no_line_is_wider(cli: Cli) -> None:
    table = cli.ok("status", "--as-of", DAY, env=terminal(80)).stdout
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80
    for row in rows(cli):
        # One line per row, its id whole, its dates whole.
        found = [line for line in lines if line.split(" ")[0] == row["id"]]
        assert len(found) == 1, row["id"]
        if row["next_follow_up"]:
            assert row["next_follow_up"] in found[0]
    assert "…" in table  # titles are cut to fit
    assert "not shown at 80 columns" in table


@pytest.mark.parametrize("width", [60, 80, 100])
def test_at_any_width_every_header_word_and_number_of_the_scorecard_stays_whole(
    cli: Cli, width: int
) -> None:
    table = cli.ok("scorecard", "--as-of", DAY, env=terminal(width)).stdout
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= width
    rule = next(n for n, line in enumerate(lines) if line.startswith("─"))
    header_words = {w for line in lines[1:rule] for w in line.split()}
    # A column that does not fit is left out and named, never cut mid-word.
    whole = "actor name made kept on time late partly broken open overdue score average"
    assert header_words <= {*whole.split(), "compliance", "%"}
    if width >= 80:  # the optional score and average make room for it first
        assert "compliance" in header_words


def test_wide_shows_titles_whole_wrapped_at_words(cli: Cli) -> None:
    table = cli.ok("status", "--as-of", DAY, "--wide", env=terminal(160)).stdout
    assert max(len(line) for line in table.splitlines()) <= 160
    words = table.split()
    for row in rows(cli):
        assert set(row["title"].split()) <= set(words), row["title"]
    assert "…" not in table
    narrower = cli.ok("status", "--as-of", DAY, "--wide", env=terminal(120)).stdout
    assert max(len(line) for line in narrower.splitlines()) <= 120
    assert "(2024-02-01..2024-02-10)" in narrower  # a wrapped column keeps its words whole


def test_piped_tables_show_text_whole(cli: Cli) -> None:
    table = cli.ok("status", "--as-of", DAY).stdout
    for row in rows(cli):
        assert row["title"] in table
    assert "\x1b[" not in table


def _line_of(table: str, commitment: str) -> str:
    return next(line for line in table.splitlines() if ANSI.sub("", line).startswith(commitment))


def test_colours_overdue_red_fulfilled_green_broken_dim_open_plain(cli: Cli) -> None:
    cli.ok("record", "guatemala-outreach", "status", "broken", "--on", "2024-02-20",
           "--source", "efe-2024-01-20", "--note", "called off")  # fmt: skip
    table = cli.ok("status", "--as-of", DAY, env=terminal(200, colour=True)).stdout
    assert "\x1b[1;31m" in _line_of(table, FENTANYL)
    fulfilled = _line_of(table, "us-delegation-visit-mexico")
    assert "\x1b[32m" in fulfilled and "31m" not in fulfilled
    assert "\x1b[2m" in _line_of(table, "guatemala-outreach")
    assert not ANSI.search(_line_of(table, "crack-down-on-smugglers"))  # open, not overdue


def test_no_color_turns_every_colour_off(cli: Cli) -> None:
    env = {**terminal(200, colour=True), "NO_COLOR": "1"}
    for args in (("status", "--as-of", DAY), ("overdue", "--now", DAY), ("scorecard",)):
        result = cli.ok(*args, env=env)
        assert "\x1b[" not in result.stdout + result.stderr, args


def test_an_empty_database_says_how_to_start(sqlite_url: str) -> None:
    cli = Cli(sqlite_url)
    for command in ("status", "scorecard", "actors", "sources"):
        result = cli.ok(command)
        assert result.stdout == "" and EMPTY_HINT in result.stderr, command
    assert cli.ok("status", "--format", "json").stdout == "[]\n"
    cli.load_demo()
    nothing = cli.ok("status", "--tag", "no-such-tag")
    assert EMPTY_HINT not in nothing.stderr and "0 commitments" in nothing.stdout


def test_jsonl_is_one_object_a_line(cli: Cli) -> None:
    lines = cli.ok("status", "--as-of", DAY, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == rows(cli)


def test_json_escapes_the_characters_readers_take_for_line_breaks() -> None:
    text = "one\u2028two\u2029three\u0085four"
    for fmt in ("json", "jsonl"):
        out = io.StringIO()
        emit([{"id": "x", "title": text}], STATUS_COLUMNS, fmt, out=out)
        written = out.getvalue()
        assert not set("\u2028\u2029\u0085") & set(written)
        assert "\\u2028" in written and "\\u2029" in written and "\\u0085" in written
        body = written.splitlines()[1] if fmt == "json" else written.splitlines()[0]
        assert json.loads(body.rstrip(","))["title"] == text


def test_show_json_escapes_line_separators_in_notes(cli: Cli) -> None:
    cli.ok("record", "darien-visit", "note", "first\u2028second")
    out = cli.ok("show", "darien-visit", "--format", "json").stdout
    assert "\u2028" not in out and "first\\u2028second" in out
    assert "first\u2028second" in json.dumps(json.loads(out), ensure_ascii=False)
    for listing in (("events",), ("export", "--format", "jsonl")):
        lines = cli.ok(*listing).stdout
        assert "\u2028" not in lines and "first\\u2028second" in lines
        assert all(json.loads(line)["hash"] for line in lines.splitlines())


def test_csv_neutralises_formulas_but_not_numbers(cli: Cli) -> None:
    cli.ok("actors", "add", "formula", "--name", '=HYPERLINK("http://x")', "--kind", "person")
    table = cli.ok("actors", "--format", "csv").stdout
    found = {r["id"]: r for r in csv.DictReader(io.StringIO(table))}
    assert found["formula"]["name"] == '\'=HYPERLINK("http://x")'
    for start in "=+-@\t\r":
        assert csv_cell(start + "1", start + "1") == "'" + start + "1"
    assert csv_cell(-0.5, "-0.5") == "-0.5"
    assert csv_cell("plain", "plain") == "plain"


def test_status_limit_and_sorts(cli: Cli) -> None:
    assert len(rows(cli, "--limit", "3")) == 3
    assert cli("status", "--limit", "0").exit_code == 2
    ids = [r["id"] for r in rows(cli, "--sort", "id")]
    assert ids == sorted(ids)
    made = [r["made_on"] for r in rows(cli, "--sort", "made_on")]
    assert made == sorted(made)
    late = rows(cli, "--sort", "late")
    assert late[0]["id"] == FENTANYL and late[0]["days_late"]
    ends = [r["due"]["end"] for r in rows(cli, "--sort", "due") if r["due"]]
    assert ends == sorted(ends)
    assert rows(cli) == sorted(
        rows(cli), key=lambda r: (not r["overdue"], not r["overdue_follow_ups"])
    )
    assert cli("status", "--sort", "colour").exit_code == 2
    statuses = [r["status"] for r in rows(cli, "--sort", "status")]
    assert statuses.index("pledged") < statuses.index("in_progress") < statuses.index("fulfilled")
    assert reports.SORTS == queries.SORTS  # the option's choices, kept in step


def test_status_due_before_and_upcoming(cli: Cli) -> None:
    before = rows(cli, "--due-before", "2024-01-01")
    assert before and all(r["due"]["end"] < "2024-01-01" for r in before)
    # On 2024-02-01 the fentanyl meeting's window (Feb 1-10) and follow-ups due by
    # Feb 15 are ahead; a fortnight later they are past.
    ahead = json.loads(
        cli.ok("status", "--as-of", "2024-02-01", "--upcoming", "14", "--format", "json").stdout
    )
    assert FENTANYL in {r["id"] for r in ahead}
    for r in ahead:
        assert (r["due"] and r["due"]["end"] >= "2024-02-01") or (
            r["next_follow_up"] and "2024-02-01" <= r["next_follow_up"] <= "2024-02-15"
        ), r
    none = cli.ok("status", "--as-of", "2030-01-01", "--upcoming", "7", "--format", "json")
    assert json.loads(none.stdout) == []


def test_ids_match_by_unique_prefix_and_suggest_otherwise(cli: Cli) -> None:
    assert cli.ok("show", "fent").stdout.startswith(FENTANYL + ":")
    assert "note added" in cli.ok("record", "darien", "note", "by prefix").stdout
    ambiguous = cli("show", "mexico")
    assert ambiguous.exit_code == 2
    assert "mexico-continued-efforts" in ambiguous.stderr
    assert "mexico-officials-visit-us-jan-2024" in ambiguous.stderr
    unknown = cli("show", "meeting")
    assert unknown.exit_code == 2 and f"did you mean {FENTANYL}?" in unknown.stderr
    assert "Traceback" not in unknown.output


def test_import_shows_progress_on_a_terminal_only(sqlite_url: str, tmp_path: Path) -> None:
    from support.cli import DEMO

    forced = Cli(sqlite_url)("import", str(DEMO), env={"TRACKER_FORCE_TERMINAL": "1"})
    assert forced.exit_code == 0 and "reading demo.yaml" in forced.stderr
    piped = Cli(str(tmp_path / "other.db"))("import", str(DEMO))
    assert piped.exit_code == 0 and piped.stderr == ""


def test_export_shows_progress_on_a_terminal_only(cli: Cli) -> None:
    forced = cli("export", env={"TRACKER_FORCE_TERMINAL": "1"})
    assert forced.exit_code == 0
    assert "reading the log" in forced.stderr and "writing YAML" in forced.stderr
    piped = cli("export")
    assert piped.exit_code == 0 and piped.stderr == ""
    assert piped.stdout == forced.stdout  # the bars never reach the file


# --- real processes ------------------------------------------------------------------


def _tracker(*args: str) -> list[str]:
    """The installed ``tracker`` script, as a user runs it.

    Not ``python -m tracker.cli.main``: run from the checkout, ``-m`` puts the source
    tree's ``tracker/`` (which has no ``cli``) ahead of the installed package.
    """
    return [str(Path(sys.executable).with_name("tracker")), *args]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "PAGER"))}
    env.pop("NO_COLOR", None)
    return {**env, **extra}


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``args`` with a pseudo-terminal as stdin, stdout and stderr."""
    leader, follower = os.openpty()
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    done = subprocess.run(args, stdin=follower, stdout=follower, stderr=follower, env=env,
                          timeout=120, check=False)  # fmt: skip
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    return done.returncode, b"".join(seen).decode("utf-8", "replace")


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    url = str(tmp_path / "demo.db")
    Cli(url).load_demo()
    return url


def test_long_output_goes_through_the_pager_on_a_terminal(demo_db: str, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = _clean_env(TRACKER_PAGER=f"sh -c 'cat > {paged}'", LINES="5", COLUMNS="100",
                     PAGER="false")  # fmt: skip
    code, screen = _on_a_terminal(_tracker("--db", demo_db, "status", "--as-of", DAY), env)
    assert code == 0, screen
    assert FENTANYL in paged.read_text() and FENTANYL not in screen
    paged.unlink()
    code, screen = _on_a_terminal(
        _tracker("--db", demo_db, "status", "--as-of", DAY, "--no-pager"), env
    )
    assert code == 0 and not paged.exists() and FENTANYL in screen
    for off in ("", "cat"):
        code, screen = _on_a_terminal(
            _tracker("--db", demo_db, "status", "--as-of", DAY), {**env, "TRACKER_PAGER": off}
        )
        assert code == 0 and not paged.exists() and FENTANYL in screen
    # A pager that cannot be started leaves the output on the terminal.
    code, screen = _on_a_terminal(
        _tracker("--db", demo_db, "status", "--as-of", DAY),
        {**env, "TRACKER_PAGER": "no-such-pager-anywhere"},
    )
    assert code == 0 and FENTANYL in screen
    # $PAGER when $TRACKER_PAGER is not set.
    del env["TRACKER_PAGER"]
    env["PAGER"] = f"sh -c 'cat > {paged}'"
    code, screen = _on_a_terminal(_tracker("--db", demo_db, "events"), env)
    assert code == 0 and '"type"' in paged.read_text()


def test_short_or_piped_output_is_never_paged(demo_db: str, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = _clean_env(TRACKER_PAGER=f"sh -c 'cat > {paged}'", LINES="200", COLUMNS="100")
    code, screen = _on_a_terminal(_tracker("--db", demo_db, "status", "--as-of", DAY), env)
    assert code == 0 and not paged.exists() and FENTANYL in screen
    env["LINES"] = "5"
    piped = subprocess.run(_tracker("--db", demo_db, "status"), env=env, capture_output=True,
                           text=True, check=True, timeout=120)  # fmt: skip
    assert FENTANYL in piped.stdout and not paged.exists()


@pytest.fixture(scope="module")
def large_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A log whose status and export outputs are far larger than a pipe's buffer."""
    import random

    from support.checkout import benchmarks_module

    from tracker.service_layer.app import Tracker
    from tracker.service_layer.fileformat.document import Document
    from tracker.service_layer.importer import import_document

    datasets = benchmarks_module("datasets")
    url = str(tmp_path_factory.mktemp("large") / "large.db")
    rng = random.Random(12)
    catalog = datasets.make_catalog(rng)
    items = list(datasets.commitments(rng, catalog, 8000))
    tracker = Tracker.open(url)
    try:
        import_document(tracker, Document("large", datasets.document(catalog, items)))
    finally:
        tracker.close()
    return url


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [["status"], ["status", "--format", "csv"], ["export"], ["events"], ["overdue"]]
)
def test_a_closed_pipe_is_not_an_error(large_db: str, command: list[str]) -> None:
    writer = subprocess.Popen(_tracker("--db", large_db, *command), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=_clean_env())  # fmt: skip
    assert writer.stdout is not None and writer.stderr is not None
    first = writer.stdout.readline()
    writer.stdout.close()  # as `| head -1` does
    stderr = writer.stderr.read()
    code = writer.wait(timeout=120)
    assert first
    assert code in (0, 141), (code, stderr)
    assert stderr == b""


def test_show_wraps_long_lines_at_words_on_a_terminal(cli: Cli) -> None:
    text = cli.ok("show", FENTANYL, env=terminal(60)).stdout
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 60
    assert lines[0] == f"{FENTANYL}: The US and Mexican high-level"
    assert "check-fentanyl-meeting" in text and "2024-02-15" in text  # whole, not split
    assert any(line.startswith("  occasion      ") for line in lines)
    piped = cli.ok("show", FENTANYL).stdout
    assert piped.splitlines()[0].endswith("on fentanyl trafficking")

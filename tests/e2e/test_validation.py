"""One set of rules for what may be recorded, whether typed at the command line or
imported from a file: the same field readers, the same name rules for actors, and
YAML that cannot hang or crash the import.

Every refusal here is exit status 2, a message naming the option (or the file's line
and path), no traceback, and nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support.cli import Cli
from support.procs import run_tracker

from tracker.service_layer.fileformat.document import MAX_BYTES, MAX_DEPTH

FENTANYL = "fentanyl-meeting-feb-2024"
DARIEN = "darien-visit"


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


def refused(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)
    return result.output


def log_size(cli: Cli) -> int:
    return len(cli.events())


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def show(cli: Cli, commitment_id: str) -> dict[str, Any]:
    return json.loads(cli.ok("show", commitment_id, "--format", "json").stdout)  # type: ignore[no-any-return]


def commitment_file(**fields: Any) -> str:
    """A file with one new commitment by mx, ``fields`` overriding its keys."""
    item = {"id": "filed", "title": "Filed", "made_by": ["mx"], "made_on": "2024-01-10", **fields}
    return json.dumps({"format": "commitments/v1", "commitments": [item]}, ensure_ascii=False)


# --- actors: a name, alias or id belongs to one actor -------------------------------------


@pytest.mark.parametrize(
    ("args", "option", "owner"),
    [
        (("mx2", "--name", "MEXICO"), "--name", "mx"),  # mx's name, in capitals
        (("mx2", "--name", "Mexico City", "--alias", "mexico"), "--alias", "mx"),
        (("mx2", "--name", "Mexico City", "--alias", "Alicia Barcenas"), "--alias", "barcena"),
        (("ee-uu", "--name", "Somebody"), "ID", "us"),  # us is aliased EE.UU.
        (("mx2", "--name", "Mx"), "--name", "mx"),  # the id of another actor
    ],
)
def test_actors_add_refuses_a_name_another_actor_has(
    cli: Cli, args: tuple[str, ...], option: str, owner: str
) -> None:
    before = log_size(cli)
    out = refused(cli("actors", "add", *args, "--kind", "government"), f"{option}: actor ")
    assert f"already names actor {owner}" in out
    assert f"actor {args[0]}:" in out  # both ids
    assert log_size(cli) == before
    assert args[0] not in {a["id"] for a in json.loads(cli.ok("actors", "--format", "json").stdout)}
    cli.ok("status", "--by", "Mexico")  # lookups still answer


def test_actors_add_takes_a_name_of_its_own(cli: Cli) -> None:
    cli.ok("actors", "add", "cdmx", "--name", "Mexico City", "--alias", "CDMX", "--kind", "body")
    cli.ok("add", "metro", "--title", "A new metro line", "--by", "mexico city")
    assert show(cli, "metro")["made_by"] == ["cdmx"]


def test_an_import_refuses_a_name_an_actor_in_the_log_has(cli: Cli, tmp_path: Path) -> None:
    text = "format: commitments/v1\nactors:\n  - id: mx2\n    name: Mexico City\n"
    text += "    kind: body\n    aliases: [CDMX, México]\n"
    before = log_size(cli)
    out = refused(cli("import", write(tmp_path, "clash.yaml", text)))
    assert "clash.yaml:6: actors[0].aliases[1]: actor mx2: 'México' already names actor mx" in out
    assert log_size(cli) == before


def test_an_import_refuses_two_of_its_actors_sharing_a_name(cli: Cli, tmp_path: Path) -> None:
    text = """\
format: commitments/v1
actors:
  - {id: one, name: Ana Pérez, kind: person}
  - {id: two, name: Luis Pérez, kind: person, aliases: [ANA PEREZ]}
"""
    out = refused(cli("import", write(tmp_path, "twins.yaml", text)))
    assert (
        "twins.yaml:4: actors[1].aliases[0]: actor two: 'ANA PEREZ' already names actor one" in out
    )
    assert "actors[0]" not in out  # the first claimant keeps it


def test_an_import_updating_an_actor_keeps_its_names_and_may_pass_one_on(
    cli: Cli, tmp_path: Path
) -> None:
    """mx keeps "Mexico" and "México" when the file repeats them; a name mx gives up in
    the same file may go to another actor."""
    text = """\
format: commitments/v1
actors:
  - {id: mx, name: Mexico, kind: government, aliases: [México, Estados Unidos Mexicanos]}
"""
    cli.ok("import", write(tmp_path, "same.yaml", text))
    moved = """\
format: commitments/v1
actors:
  - {id: mx, name: Mexico, kind: government, aliases: [México]}
  - {id: eum, name: Estados Unidos Mexicanos, kind: body}
"""
    cli.ok("import", write(tmp_path, "moved.yaml", moved))
    assert (
        json.loads(cli.ok("status", "--by", "estados unidos mexicanos", "--format", "json").stdout)
        == []
    )
    assert cli.ok("status", "--by", "méxico").exit_code == 0


def test_an_actor_name_without_letters_is_refused(cli: Cli, tmp_path: Path) -> None:
    refused(cli("actors", "add", "dots", "--name", "...", "--kind", "body"), "--name: '...' has no")
    text = (
        'format: commitments/v1\nactors:\n  - {id: dash, name: Dash, kind: body, aliases: ["-"]}\n'
    )
    refused(cli("import", write(tmp_path, "dash.yaml", text)), "actors[0].aliases[0]: '-' has no")


# --- YAML that cannot hang or crash the import -------------------------------------------

BOMB = """\
format: commitments/v1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_billion_laughs_is_refused_at_its_first_anchor(db_url: str, tmp_path: Path) -> None:
    """In a process of its own, so that a regression hangs one child, not the suite."""
    done = run_tracker("--db", db_url, "import", write(tmp_path, "bomb.yaml", BOMB), env={})
    assert done.returncode == 2, done.stderr
    assert (
        "bomb.yaml:2: an anchor &a: a commitments file takes no anchors or aliases" in done.stderr
    )
    assert "Traceback" not in done.stderr


ACTOR = "format: commitments/v1\nactors:\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (ACTOR + "  - &mx {id: mx2, name: Mexico Two, kind: body}\n", 3, "an anchor &mx"),
        (
            ACTOR + "  - {id: a1, name: A, kind: &k body}\n  - {id: a2, name: B, kind: *k}\n",
            3,
            "an anchor &k",
        ),
        ("format: commitments/v1\ncommitments: *list\n", 2, "an alias *list"),
        ('{"format": "commitments/v1",\n "actors": &x []}', 2, "an anchor &x"),
    ],
)
def test_anchors_and_aliases_are_refused_with_their_line(
    cli: Cli, tmp_path: Path, text: str, line: int, message: str
) -> None:
    before = log_size(cli)
    refused(cli("import", write(tmp_path, "anchors.yaml", text)), f"anchors.yaml:{line}: {message}")
    assert log_size(cli) == before


def test_stars_and_ampersands_in_quoted_text_are_text(cli: Cli, tmp_path: Path) -> None:
    text = commitment_file(title="Rules *and* R&D, &more, *most*")
    yaml_text = (
        "format: commitments/v1\ncommitments:\n  - id: filed\n"
        "    title: 'Rules *and* R&D, &more, *most*'\n    made_by: [mx]\n    made_on: 2024-01-10\n"
    )
    cli.ok("import", write(tmp_path, "stars.yaml", yaml_text))
    cli.ok("import", write(tmp_path, "stars.json", text))  # the same entry: nothing new
    assert show(cli, "filed")["title"] == "Rules *and* R&D, &more, *most*"


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        ("lone.yaml", 'format: commitments/v1\n\nx: "\\ud800"\n', "lone.yaml:3:", "U+D800 is half"),
        ("low.yaml", 'format: commitments/v1\nx: ["a\\udc00"]\n', "low.yaml:2:", "U+DC00 is half"),
        (
            "lone.json",
            '{"format": "commitments/v1",\n "commitments": [{"id": "x",\n "title": "\\ud800"}]}',
            "lone.json:3: commitments[0].title:",
            "half a UTF-16 surrogate pair",
        ),
        (
            "nul.yaml",
            "format: commitments/v1\ntitle: a\x00b\n",
            "nul.yaml:2:",
            "U+0000 is not allowed",
        ),
        ("esc.yaml", "format: commitments/v1\n\ntitle: \x1b[31m\n", "esc.yaml:3:", "U+001B"),
        (
            "deep.yaml",
            "format: commitments/v1\nx: " + "[" * 2000 + "]" * 2000 + "\n",
            "deep.yaml:2:",
            f"nested more than {MAX_DEPTH} deep",
        ),
        (
            "deep.json",
            '{"format": "commitments/v1", "x": ' + "[" * 5000 + "]" * 5000 + "}",
            "deep.json:1:",
            f"nested more than {MAX_DEPTH} deep",
        ),
    ],
)
def test_text_that_is_no_text_is_a_problem_with_a_line(
    cli: Cli, tmp_path: Path, name: str, text: str, where: str, message: str
) -> None:
    before = log_size(cli)
    out = refused(cli("import", write(tmp_path, name, text)), where, message)
    assert "nothing was written" in out
    assert log_size(cli) == before


def test_a_surrogate_pair_escaped_in_json_is_one_character(cli: Cli, tmp_path: Path) -> None:
    text = commitment_file(title="Pledge \\ud83d\\ude00").replace("\\\\", "\\")
    cli.ok("import", write(tmp_path, "emoji.json", text))
    assert show(cli, "filed")["title"] == "Pledge \U0001f600"


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:  # sparse: no disk, and never read
        f.truncate(MAX_BYTES + 1)
    refused(cli("import", str(big)), "big.yaml: is 64 MiB, over the 64 MiB a file may hold")


def test_a_stream_without_end_is_read_only_up_to_the_cap(cli: Cli) -> None:
    refused(cli("import", "/dev/zero"), "/dev/zero: holds more than the 64 MiB a file may hold")


# --- the command line reads its options as the import reads a file -----------------------

CONTROL = "bad\x07bell"


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (("add", "x", "--title", CONTROL, "--by", "mx"), "--title", "contains control characters"),
        (
            ("add", "x", "--title", "T", "--by", "mx", "--occasion", "Wash\x1bington"),
            "--occasion",
            "contains control characters",
        ),
        (("add", "x", "--title", "T", "--by", "mx", "--tag", CONTROL), "--tag", "control"),
        (
            (
                "add",
                "x",
                "--title",
                "T",
                "--by",
                "mx",
                "--source",
                "efe-2024-01-20",
                "--quote",
                CONTROL,
            ),
            "--quote",
            "contains control characters",
        ),
        (
            ("add", "x", "--title", "T", "--by", "mx", "--owner", "a\x07@b.org"),
            "--owner",
            "not an email",
        ),
        (("add", "x", "--title", "T", "--by", "mx", "--quote", "q"), "--quote", "a quote needs"),
        (("add", "Not-A-Slug", "--title", "T", "--by", "mx"), "ID", "is not a slug"),
        (("add", "x", "--title", "T", "--by", "mx", "--due", "someday"), "--due", ""),
        (("add", "x", "--title", "  ", "--by", "mx"), "--title", "must not be empty"),
        (("add", "x", "--title", "T", "--by", "nobody"), "--by", "no actor called 'nobody'"),
        (
            ("add", "x", "--title", "T", "--by", "mx", "--source", "nowhere"),
            "--source",
            "unknown source",
        ),
        (("record", DARIEN, "note", CONTROL), "TEXT", "contains control characters"),
        (("record", DARIEN, "note", " "), "TEXT", "must not be empty"),
        (
            ("record", DARIEN, "progress", "--note", CONTROL),
            "--note",
            "contains control characters",
        ),
        (
            ("record", DARIEN, "progress", "--source", "nowhere"),
            "--source",
            "unknown source 'nowhere'; add it with `tracker sources add` first",
        ),
        (("record", FENTANYL, "due", "late February 2024", "--note", CONTROL), "--note", "control"),
        (("record", FENTANYL, "due", "when pigs fly", "--note", "n"), "DEADLINE", ""),
        (
            ("record", DARIEN, "follow-up", "ask", "--due", "2024-03-01", "--task", CONTROL),
            "--task",
            "contains control characters",
        ),
        (
            ("record", DARIEN, "follow-up", "Ask", "--due", "2024-03-01", "--task", "Ask"),
            "FOLLOW_UP_ID",
            "is not a slug",
        ),
        (("record", DARIEN, "done", "check", "--quote", CONTROL), "--quote", "control"),
        (("record", DARIEN, "retract", "2", "--reason", CONTROL), "--reason", "control"),
        (
            ("record", DARIEN, "status", "superseded", "--superseded-by", "no-such-plan"),
            "--superseded-by",
            "unknown commitment 'no-such-plan'",
        ),
        (
            ("record", DARIEN, "status", "superseded", "--superseded-by", "Not A Slug"),
            "--superseded-by",
            "is not a slug",
        ),
        (("actors", "add", "x", "--name", CONTROL, "--kind", "body"), "--name", "control"),
        (
            ("actors", "add", "x", "--name", "X", "--kind", "body", "--alias", CONTROL),
            "--alias",
            "control",
        ),
        (("sources", "add", "x", "--publisher", "P", "--title", CONTROL), "--title", "control"),
        (("add", "x", "--title", "T", "--by", "mx", "--on", "2999-01-01"), "--on", "future"),
        (("record", DARIEN, "note", "n", "--on", "2999-01-01"), "--on", "is in the future"),
        (("add", "x", "--title", "T", "--by", "mx", "--tag", " "), "--tag", "must not be empty"),
        (("add", "x", "--title", "T", "--by", "mx", "--quote", "q"), "--quote", "give its source"),
        (("add", "x", "--title", "T", "--by", "mx", "--due", "9999-01-01"), "--due", "days kept"),
        (
            ("sources", "add", "x", "--publisher", "P", "--published", "0999-01-01"),
            "--published",
            "outside the days kept",
        ),
    ],
)
def test_a_command_refuses_what_an_import_refuses(
    cli: Cli, args: tuple[str, ...], option: str, message: str
) -> None:
    before = log_size(cli)
    out = refused(cli(*args), f"{option}: ")
    assert any(message in line for line in out.splitlines() if f"{option}: " in line), out
    assert log_size(cli) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", CONTROL, "contains control characters"),
        ("owner", "desk@example.org\n", "is not an email address"),
        ("tags", ["fine", CONTROL], "contains control characters"),
    ],
)
def test_the_same_value_gets_the_same_words_from_both(
    cli: Cli, tmp_path: Path, field: str, value: Any, message: str
) -> None:
    """The command's message is the import's, about the option instead of the path."""
    option = {"title": "--title", "owner": "--owner", "tags": "--tag"}[field]
    values = value if isinstance(value, list) else [value]
    args = [arg for v in values for arg in (option, v)]
    title = [] if field == "title" else ["--title", "T"]
    from_cli = refused(cli("add", "filed", *title, "--by", "mx", *args))
    path = write(tmp_path, "one.json", commitment_file(**{field: value}))
    from_file = refused(cli("import", path))
    words = message if field == "title" else f"{values[-1]!r} {message}"
    assert f"{option}: {words}" in from_cli
    assert f"commitments[0].{field}" in from_file and words in from_file


def test_a_superseding_commitment_must_exist_and_then_is_recorded(cli: Cli) -> None:
    cli.ok("add", "new-plan", "--title", "The new plan", "--by", "mx", "--on", "2024-02-01")
    cli.ok("record", FENTANYL, "status", "superseded", "--superseded-by", "new-plan")
    assert show(cli, FENTANYL)["status"] == "superseded"


def test_every_unknown_reference_is_named_at_once(cli: Cli) -> None:
    before = log_size(cli)
    args = ("--source", "nope", "--superseded-by", "ghost", "--note", "x")
    out = refused(cli("record", FENTANYL, "status", "superseded", *args), "--source: ")
    assert "--source: unknown source 'nope'" in out
    assert "--superseded-by: unknown commitment 'ghost'" in out
    assert log_size(cli) == before


def test_values_are_trimmed_as_the_import_trims_them(cli: Cli) -> None:
    cli.ok("add", "trim", "--title", "  Spaced title ", "--by", "mx", "--occasion", " Here ")
    shown = show(cli, "trim")
    assert (shown["title"], shown["occasion"]) == ("Spaced title", "Here")


def test_windows_line_ends_become_newlines_and_c1_characters_are_text(cli: Cli) -> None:
    cli.ok("record", DARIEN, "note", "line one\r\nline two\rline three")
    cli.ok("add", "c1", "--title", "Border \u0096 talks", "--by", "mx")
    notes = [e["data"]["note"] for e in cli.events("NoteAdded")]
    assert notes[-1] == "line one\nline two\nline three"
    assert show(cli, "c1")["title"] == "Border \u0096 talks"


# --- repeats in made_by, made_to and tags are recorded once ------------------------------


def test_repeated_tags_and_actors_are_recorded_once_from_the_command_line(cli: Cli) -> None:
    cli.ok(
        "add", "twice", "--title", "T", "--by", "mx", "--by", "Mexico", "--to", "us",
        "--to", "EE.UU.", "--to", "mx", "--tag", "b", "--tag", "a", "--tag", "b",
    )  # fmt: skip
    shown = show(cli, "twice")
    assert (shown["made_by"], shown["made_to"], shown["tags"]) == (["mx"], ["us", "mx"], ["b", "a"])


def test_repeated_tags_and_actors_are_recorded_once_from_a_file(cli: Cli, tmp_path: Path) -> None:
    text = commitment_file(made_by=["mx", "mx"], made_to=["us", "mx", "us"], tags=["b", "a", "b"])
    path = write(tmp_path, "twice.json", text)
    cli.ok("import", path)
    shown = show(cli, "filed")
    assert (shown["made_by"], shown["made_to"], shown["tags"]) == (["mx"], ["us", "mx"], ["b", "a"])
    before = log_size(cli)
    cli.ok("import", path)  # the same file again: the same entry, nothing appended
    assert log_size(cli) == before
    exported = cli.ok("export").stdout
    assert "  tags:\n  - b\n  - a\n- id: " in exported


def test_a_log_holding_repeats_still_matches_its_file(db_url: str, tmp_path: Path) -> None:
    """An entry recorded with repeats before they were dropped compares equal to the
    file that says them once (and to the file that repeats them), so re-importing an
    export finds nothing changed."""
    from datetime import date

    from tracker.domain.commitment import MakeCommitment
    from tracker.service_layer.app import Tracker

    cli = Cli(db_url).load_demo()
    app = Tracker.open(db_url)
    try:
        old = MakeCommitment("old", "Old", ("mx", "mx"), date(2024, 1, 10), tags=("a", "a"))
        app.handle("old", old, name="test")
    finally:
        app.close()
    made = [e["data"] for e in cli.events("CommitmentMade") if e["data"]["id"] == "old"]
    assert (made[0]["made_by"], made[0]["tags"]) == (["mx", "mx"], ["a", "a"])  # the premise
    export = write(tmp_path, "export.yaml", cli.ok("export").stdout)
    before = log_size(cli)
    cli.ok("import", export)
    old_file = commitment_file(id="old", title="Old", made_by=["mx", "mx"], tags=["a", "a"])
    cli.ok("import", write(tmp_path, "old.json", old_file))
    assert log_size(cli) == before

"""docs/ is current, the README links only what the repository holds, and every
command gives exactly the fields docs/fields.md lists, in JSON and in CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.cli import Cli

from tracker.cli.main import cli
from tracker.cli.reference import REGENERATE, _commands, generated
from tracker.service_layer import fields

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["cli.md", "fields.md"])
def test_the_generated_docs_are_current(name: str) -> None:
    path = ROOT / "docs" / name
    expected = generated(ROOT / "docs")[path]
    assert path.exists(), f"docs/{name} is missing: run `{REGENERATE}`"
    assert path.read_text(encoding="utf-8") == expected, (
        f"docs/{name} is not what the code says: run `{REGENERATE}` and commit it"
    )


def test_every_command_has_help_with_an_example() -> None:
    for path, ctx in _commands(cli):
        text = ctx.command.get_help(ctx)
        assert re.search(r"^  (Examples?|Start here):$", text, re.M), path


def test_the_readme_links_only_files_in_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)\)", text)
    local = [link for link in links if "://" not in link]
    assert {"docs/commitments-v1.md", "docs/cli.md", "docs/fields.md"} <= set(local)
    for link in local:
        assert (ROOT / link).exists(), link
    assert "shared/" not in text  # the design inputs are not in the repository


def test_the_format_documents_example_imports_as_it_says(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "commitments-v1.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert example is not None
    (tmp_path / "example.yaml").write_text(example.group(1), encoding="utf-8")
    tracker = Cli(f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker.ok("import", str(tmp_path / "example.yaml"))
    shown = json.loads(tracker.ok("show", "darien-visit", "--format", "json").stdout)
    assert shown["status"] == "fulfilled"
    assert [e["entry"] for e in shown["timeline"] if e["retracted"]] == [3]
    assert [f["done_on"] for f in shown["follow_ups"]] == [None, "2024-03-01"]


# --- the vocabulary -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    url = f"sqlite:///{tmp_path_factory.mktemp('vocabulary') / 'tracker.db'}"
    found = Cli(url).load_demo()
    found.ok("overdue", "--flag", "--now", "2024-02-20T09:00Z")  # a show with flags
    return found


def json_rows(demo: Cli, *args: str) -> list[dict[str, Any]]:
    return json.loads(demo.ok(*args, "--format", "json").stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("status", ("status",)),
        ("overdue", ("overdue", "--now", "2024-02-20T09:00Z")),
        ("scorecard", ("scorecard",)),
        ("actors", ("actors",)),
        ("sources", ("sources",)),
    ],
)
def test_each_listing_gives_the_declared_keys_in_json_and_csv(
    demo: Cli, command: str, args: tuple[str, ...]
) -> None:
    rows = json_rows(demo, *args)
    assert rows
    assert all(list(r) == fields.keys_of(command) for r in rows), (list(rows[0]), command)
    header = next(csv.reader(io.StringIO(demo.ok(*args, "--format", "csv").stdout)))
    assert header == fields.csv_keys(command)


def test_the_scorecard_by_tag_says_tag_and_made_as_its_table_does(demo: Cli) -> None:
    rows = json_rows(demo, "scorecard", "--by", "tag")
    assert list(rows[0]) == fields.keys_of("scorecard", "tag")
    assert "made" in rows[0] and "commitments" not in rows[0]
    table = demo.ok("scorecard", "--by", "tag").stdout.splitlines()[0]
    assert table.split()[:2] == ["tag", "made"]


def test_show_gives_status_row_then_its_story_one_entry_a_line(demo: Cli) -> None:
    text = demo.ok("show", "fentanyl-meeting-feb-2024", "--format", "json").stdout
    document = json.loads(text)
    assert list(document) == fields.keys_of("show")
    status = next(r for r in json_rows(demo, "status") if r["id"] == document["id"])
    assert {k: document[k] for k in status} == status  # the same keys, the same values
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    entries = [json.loads(line.strip().rstrip(",")) for line in lines if '"entry": ' in line]
    assert [e["entry"] for e in entries] == [e["entry"] for e in document["timeline"]]
    flag = document["overdue_flags"][0]
    assert set(flag) == {"kind", "follow_up", "due", "days_late", "flagged_on"}


def test_events_give_the_declared_keys(demo: Cli) -> None:
    first = json.loads(demo.ok("events").stdout.splitlines()[0])
    assert list(first) == fields.keys_of("events")


def test_overdue_and_status_share_id_and_the_due_window(demo: Cli) -> None:
    overdue = json_rows(demo, "overdue", "--now", "2024-02-20T09:00Z")
    status = {r["id"]: r for r in json_rows(demo, "status", "--as-of", "2024-02-20")}
    meeting = next(r for r in overdue if r["kind"] == "commitment")
    assert meeting["due"] == status[meeting["id"]]["due"]
    assert "commitment_id" not in meeting and "due_end" not in meeting

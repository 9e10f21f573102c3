"""The commitments/v1 file in and out: atomic, idempotent, append-only and lossless."""

from __future__ import annotations

import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from support.tamper import tampering

from tracker.adapters import schema
from tracker.cli.main import cli
from tracker.domain.commitment import (
    ChangeStatus,
    Command,
    CommitmentState,
    CompleteFollowUp,
    FollowUpSpec,
    MakeCommitment,
    ScheduleFollowUp,
    decide,
    extend,
)
from tracker.domain.events import DomainEvent
from tracker.domain.statuses import Status
from tracker.service_layer.app import Tracker
from tracker.service_layer.catalog import list_actors
from tracker.service_layer.exporter import export_document, write_jsonl
from tracker.service_layer.fileformat.document import DataError, parse_text, read_document
from tracker.service_layer.fileformat.writer import write_yaml
from tracker.service_layer.importer import import_document, import_file
from tracker.service_layer.queries import View, show, status_report
from tracker.service_layer.rebuild import rebuild_projections

# A commitment with every kind of history: a deadline change, a later follow-up, a
# retraction (entry #6, the mistaken note), a done follow-up and a supersession.
STORY = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
    aliases: [México]
  - id: barcena
    name: Alicia Bárcena
    kind: person
    member_of: mx
    role: Secretary of Foreign Affairs
    aliases: [Alicia Barcena, Alicia Barcenas]
sources:
  - id: efe-2024-01-20
    publisher: EFE
    title: Uno
    url: https://example.org/efe
    published: 2024-01-20
    language: en
  - id: cnn-2024-02-20
    publisher: CNN en Español
    published: 2024-02-20
    language: es
commitments:
  - id: old-plan
    title: An old plan
    made_by: [mx]
    made_to: [barcena]
    made_on: 2024-01-10
    occasion: Washington
    due: early February 2024
    tags: [fentanyl, meeting]
    owner: desk@example.org
    source: efe-2024-01-20
    quote: "el plan «viejo», con comillas"
    follow_ups:
      - id: check-one
        due: 2024-02-15
        task: Check it
        owner: desk@example.org
    history:
      - on: 2024-01-20
        kind: progress
        source: efe-2024-01-20
        quote: avanzamos
        note: some progress
      - on: 2024-01-25
        kind: due
        due: late February 2024
        note: postponed
      - on: 2024-01-26
        kind: follow_up
        id: check-two
        due: 2024-03-01
        task: Check again
      - on: 2024-01-27
        kind: note
        note: a mistaken note
      - on: 2024-01-28
        kind: retraction
        retracts: 6
        note: it was about another plan
      - on: 2024-02-01
        kind: follow_up_done
        follow_up: check-one
        note: checked
      - on: 2024-02-20
        kind: status
        status: superseded
        superseded_by: new-plan
        source: cnn-2024-02-20
        note: replaced by the March plan
  - id: new-plan
    title: A new plan
    made_by: [barcena]
    made_on: 2024-02-20
    due: {start: 2024-03-01, end: 2024-03-10, label: first ten days of March}
"""
STORY_EVENTS = 4 + 10  # two actors, two sources; 9 entries of old-plan, 1 of new-plan


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    app = Tracker.open(db_url)
    yield app
    app.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Tracker]:
    """A second, empty database for round trips."""
    app = Tracker.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    yield app
    app.close()


def day(text: str) -> date:
    return date.fromisoformat(text)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def event_count(tracker: Tracker) -> int:
    with tracker.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def projection_rows(tracker: Tracker) -> dict[str, list[dict[str, object]]]:
    with tracker.db.read() as conn:
        return {
            t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key)).mappings()]
            for t in schema.PROJECTION_TABLES
        }


def export_text(tracker: Tracker) -> str:
    out = io.StringIO()
    write_yaml(export_document(tracker), out)
    return out.getvalue()


def demo_document() -> object:
    text = (files("tracker.data") / "demo.yaml").read_text(encoding="utf-8")
    return parse_text(text, "demo.yaml")


# --- idempotent and append-only ------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing(tracker: Tracker, tmp_path: Path) -> None:
    path = write(tmp_path, "story.yaml", STORY)
    first = import_file(tracker, str(path))
    assert (first.events, first.commitments, first.actors, first.sources) == (STORY_EVENTS, 2, 2, 2)
    rows = projection_rows(tracker)
    again = import_file(tracker, str(path))
    assert (again.events, again.unchanged) == (0, 10)
    assert event_count(tracker) == STORY_EVENTS
    assert projection_rows(tracker) == rows


def test_a_newer_file_that_only_appends_entries_appends_only_them(
    tracker: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "v1.yaml", STORY)))
    newer = STORY.replace(
        "    due: {start: 2024-03-01",
        "    history:\n"
        "      - on: 2024-03-02\n"
        "        kind: progress\n"
        "        note: dates agreed\n"
        "    due: {start: 2024-03-01",
    )
    report = import_file(tracker, str(write(tmp_path, "v2.yaml", newer)))
    assert (report.events, report.commitments, report.actors, report.sources) == (1, 0, 0, 0)
    assert event_count(tracker) == STORY_EVENTS + 1
    state = show(tracker, "new-plan", View(today=day("2024-03-05")))
    assert state["status"] == "in_progress"
    assert [e["kind"] for e in state["timeline"]] == ["made", "progress"]
    # The older file is a prefix of the log now: nothing to add, nothing wrong.
    assert import_file(tracker, str(tmp_path / "v1.yaml")).events == 0


def test_a_follow_up_added_to_follow_ups_later_says_to_schedule_it_in_history(
    tracker: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "v1.yaml", STORY)))
    later = STORY.replace(
        "        owner: desk@example.org\n    history:",
        "        owner: desk@example.org\n"
        "      - id: check-late\n"
        "        due: 2024-03-15\n"
        "        task: Check later\n"
        "    history:",
    )
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(write(tmp_path, "v2.yaml", later)))
    problem = next(p for p in caught.value.problems if p.path.endswith("follow_ups[1]"))
    assert "follow-up 'check-late' is new" in problem.message
    assert "add it at the end of history" in problem.message
    assert "kind: follow_up" in problem.message
    assert event_count(tracker) == STORY_EVENTS


def test_a_changed_history_entry_is_reported_not_rewritten(
    tracker: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "v1.yaml", STORY)))
    changed = STORY.replace("note: postponed", "note: postponed again").replace(
        "      - on: 2024-02-01\n", "      - on: 2024-02-02\n"
    )
    path = write(tmp_path, "changed.yaml", changed)
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(path))
    rendered = str(caught.value)
    assert "2 problems, nothing was written" in rendered
    line = line_of(changed, "on: 2024-01-25")
    assert (
        f"{path}:{line}: commitments[0].history[1]: differs from entry #4 of old-plan" in rendered
    )
    assert "commitments[0].history[5]: differs from entry #8 of old-plan" in rendered
    assert "append-only" in rendered
    assert event_count(tracker) == STORY_EVENTS


def test_an_updated_actor_is_recorded_and_its_new_alias_resolves(
    tracker: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "v1.yaml", STORY)))
    updated = STORY.replace("[Alicia Barcena, Alicia Barcenas]", "[Alicia Barcena, A. Bárcena]")
    report = import_file(tracker, str(write(tmp_path, "v2.yaml", updated)))
    assert (report.events, report.actors) == (1, 1)
    barcena = next(a for a in list_actors(tracker) if a["id"] == "barcena")
    assert barcena["aliases"] == ["Alicia Barcena", "A. Bárcena"]
    rows = status_report(tracker, View(today=day("2024-03-01")), by="a. barcena")
    assert [r["id"] for r in rows] == ["new-plan"]


# --- lossless -----------------------------------------------------------------------


def test_import_export_import_is_lossless(tracker: Tracker, fresh: Tracker, tmp_path: Path) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    first = export_text(tracker)
    import_file(fresh, str(write(tmp_path, "export.yaml", first)))
    assert export_text(fresh) == first
    assert event_count(fresh) == event_count(tracker)
    # Same state, same timeline, entry numbers included (retractions name them).
    view = View(today=day("2024-03-05"))
    for cid in ("old-plan", "new-plan"):
        a, b = show(tracker, cid, view), show(fresh, cid, view)
        for item in (*a["timeline"], *b["timeline"]):
            item.pop("recorded_at")
            item.pop("db_user")  # fresh is SQLite, which has no database users
        assert a == b
    old = show(fresh, "old-plan", view)
    assert old["status"] == "superseded" and old["superseded_by"] == "new-plan"
    assert old["due"] == {"start": "2024-02-21", "end": "2024-02-29", "label": "late February 2024"}
    assert [f["id"] for f in old["follow_ups"]] == ["check-one", "check-two"]
    assert [e["entry"] for e in old["timeline"] if e["retracted"]] == [6]
    # The export re-imported where it came from is nothing new either.
    assert import_file(tracker, str(tmp_path / "export.yaml")).events == 0


def test_the_export_keeps_every_kind_of_entry(tracker: Tracker, tmp_path: Path) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    document = yaml.safe_load(export_text(tracker))
    assert document["format"] == "commitments/v1"
    old = next(c for c in document["commitments"] if c["id"] == "old-plan")
    assert old["quote"] == "el plan «viejo», con comillas"
    assert old["follow_ups"] == [
        {"id": "check-one", "due": "2024-02-15", "task": "Check it", "owner": "desk@example.org"}
    ]
    assert [h["kind"] for h in old["history"]] == [
        "progress",
        "due",
        "follow_up",
        "note",
        "retraction",
        "follow_up_done",
        "status",
    ]
    assert old["history"][4] == {
        "on": "2024-01-28",
        "kind": "retraction",
        "retracts": 6,
        "note": "it was about another plan",
    }
    new = next(c for c in document["commitments"] if c["id"] == "new-plan")
    assert new["due"] == {
        "start": "2024-03-01",
        "end": "2024-03-10",
        "label": "first ten days of March",
    }
    sources = {s["id"]: s for s in document["sources"]}
    assert sources["cnn-2024-02-20"]["language"] == "es"


def test_the_demo_dataset_round_trips(tracker: Tracker, fresh: Tracker, tmp_path: Path) -> None:
    import_document(tracker, demo_document())  # type: ignore[arg-type]
    first = export_text(tracker)
    import_file(fresh, str(write(tmp_path, "demo-export.yaml", first)))
    assert export_text(fresh) == first


def test_a_json_file_imports_like_yaml(tracker: Tracker, fresh: Tracker, tmp_path: Path) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    as_json = json.dumps(export_document(tracker), ensure_ascii=False, indent=1)
    import_file(fresh, str(write(tmp_path, "story.json", as_json)))
    assert export_text(fresh) == export_text(tracker)


def test_jsonl_export_is_every_event_in_log_order(tracker: Tracker, tmp_path: Path) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    out = io.StringIO()
    assert write_jsonl(tracker, out) == STORY_EVENTS
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["position"] for e in lines] == list(range(1, STORY_EVENTS + 1))
    assert {"stream_id", "version", "type", "occurred_at", "recorded_at", "data", "hash"} <= set(
        lines[0]
    )
    retraction = next(e for e in lines if e["type"] == "EntryRetracted")
    assert retraction["stream_id"] == "commitment:old-plan"
    assert retraction["data"]["entry"] == 6


# --- atomic, with every problem at once ---------------------------------------------

MALFORMED = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
    colour: green
sources:
  - id: efe
    publisher: EFE
commitments:
  - id: bad-date
    title: A bad date
    made_by: [mx]
    made_on: 19 January 2024
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
  - id: typo
    title: A typo in a key
    made_by: [mx]
    made_on: 2024-01-19
    tgas: [oops]
"""


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_malformed_file_writes_nothing_and_names_every_problem(
    tracker: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    before_rows, before_count = projection_rows(tracker), event_count(tracker)
    path = write(tmp_path, "bad.yaml", MALFORMED)
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(path))
    found = {(p.path, p.line) for p in caught.value.problems}
    assert found == {
        ("actors[0].colour", line_of(MALFORMED, "colour")),
        ("commitments[0].made_on", line_of(MALFORMED, "19 January")),
        ("commitments[1].made_by[0]", line_of(MALFORMED, "[mxx]")),
        ("commitments[2].history[0]", line_of(MALFORMED, "on: 2024-02-01")),
        ("commitments[3].tgas", line_of(MALFORMED, "tgas")),
    }
    rendered = str(caught.value)
    assert rendered.startswith(f"{path}: 5 problems, nothing was written")
    assert f"{path}:{line_of(MALFORMED, '[mxx]')}: commitments[1].made_by[0]: " in rendered
    assert "unknown actor 'mxx'; did you mean mx?" in rendered
    assert "'19 January 2024' is not a date (YYYY-MM-DD)" in rendered
    assert "status fulfilled is a verdict and needs a source" in rendered
    assert "unknown key (allowed: id, name, kind" in rendered
    assert event_count(tracker) == before_count
    assert projection_rows(tracker) == before_rows


def test_a_yaml_syntax_error_names_its_line(tracker: Tracker, tmp_path: Path) -> None:
    text = "format: commitments/v1\ncommitments:\n  - id: [unclosed\n    title: x\n"
    path = write(tmp_path, "syntax.yaml", text)
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(path))
    [problem] = caught.value.problems
    assert problem.line == 4 and "invalid YAML" in problem.message
    assert str(caught.value).endswith(f"{path}:4: invalid YAML: expected ',' or ']', but got ':'")
    assert event_count(tracker) == 0


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("format: commitments/v2\n", "format", "must be commitments/v1, not 'commitments/v2'"),
        ("format: commitments/v1\nextra: 1\n", "extra", "unknown key"),
        ("format: commitments/v1\nformat: commitments/v1\n", "", "duplicate key 'format'"),
        ("- just a list\n", "", "must be a mapping"),
        ("commitments: []\n", "format", "is missing"),  # a key not in the file: line 1
        ("format: 1\n", "format", "must be commitments/v1, not a number"),
    ],
)
def test_file_level_problems(
    tracker: Tracker, tmp_path: Path, text: str, path: str, message: str
) -> None:
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(write(tmp_path, "f.yaml", text)))
    assert any(p.path == path and message in p.message for p in caught.value.problems)


@pytest.mark.parametrize(
    ("item", "path", "message"),
    [
        ("title: [a, b]", "commitments[0].title", "must be text, not a list"),
        ("title: {a: b}", "commitments[0].title", "must be text, not a mapping"),
        ("made_by: {a: b}", "commitments[0].made_by", "must be a list, not a mapping"),
        ("tags: {a: b}", "commitments[0].tags", "must be a list of texts"),
    ],
)
def test_a_value_of_the_wrong_kind_is_named_in_words(
    tracker: Tracker, tmp_path: Path, item: str, path: str, message: str
) -> None:
    base = {"id": "x", "title": "t", "made_by": ["mx"], "made_on": "2024-01-01"}
    key = item.split(":")[0]
    lines = [f"    {k}: {v}" for k, v in base.items() if k != key]
    text = "format: commitments/v1\ncommitments:\n  - " + "\n".join([f"{item}", *lines])
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(write(tmp_path, "f.yaml", text.replace("  - \n", "  - "))))
    found = {p.path: p.message for p in caught.value.problems}
    assert message in found.get(path, ""), found
    for problem in found.values():  # never a Python type name
        assert not re.search(r"\b(str|dict|int|float|bool|NoneType)\b", problem), problem


def test_missing_file_and_unknown_supersession_target(tracker: Tracker, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_document(tmp_path / "nope.yaml")
    text = STORY.replace("superseded_by: new-plan", "superseded_by: new-plam")
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(write(tmp_path, "f.yaml", text)))
    [problem] = caught.value.problems
    assert problem.path == "commitments[0].history[6].superseded_by"
    assert "unknown commitment 'new-plam'; did you mean new-plan?" in problem.message
    assert event_count(tracker) == 0


def test_an_impossible_iso_date_is_a_problem_not_a_crash(tracker: Tracker, tmp_path: Path) -> None:
    text = STORY.replace("made_on: 2024-02-20", "made_on: 2024-13-45")
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(write(tmp_path, "f.yaml", text)))
    assert [p.path for p in caught.value.problems] == ["commitments[1].made_on"]


def test_every_problem_of_one_commitment_is_reported_together(
    tracker: Tracker, tmp_path: Path
) -> None:
    text = STORY.replace("made_by: [barcena]", "made_by: [barcenas]").replace(
        "made_on: 2024-02-20", "made_on: 20 Feb 2024"
    )
    with pytest.raises(DataError) as caught:
        import_file(tracker, str(write(tmp_path, "f.yaml", text)))
    assert {p.path for p in caught.value.problems} == {
        "commitments[1].made_on",
        "commitments[1].made_by[0]",
    }


# --- export order -------------------------------------------------------------------

# Entry 3 is evidence recorded after entry 2 about an earlier day, and entry 4 retracts
# entry 2 a month later: record order and world order differ on purpose.
LATE = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
commitments:
  - id: late-plan
    title: A plan with late evidence
    made_by: [mx]
    made_on: 2024-01-10
    history:
      - on: 2024-02-10
        kind: note
        note: written first
      - on: 2024-02-01
        kind: progress
        note: recorded later, about an earlier day
      - on: 2024-03-01
        kind: retraction
        retracts: 2
        note: the note was wrong
"""


def test_history_is_exported_in_record_order_and_a_retraction_keeps_its_own_day(
    tracker: Tracker, fresh: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "late.yaml", LATE)))
    first = export_text(tracker)
    (plan,) = yaml.safe_load(first)["commitments"]
    assert [(h["kind"], h["on"]) for h in plan["history"]] == [
        ("note", "2024-02-10"),
        ("progress", "2024-02-01"),
        ("retraction", "2024-03-01"),  # its own day, not that of the entry it retracts
    ]
    assert plan["history"][2]["retracts"] == 2
    import_file(fresh, str(write(tmp_path, "export.yaml", first)))
    assert export_text(fresh) == first
    view = View(today=day("2024-03-05"))
    assert [e["entry"] for e in show(fresh, "late-plan", view)["timeline"] if e["retracted"]] == [2]


# --- the export and import commands -------------------------------------------------


def cli_run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db_url, *args], env={"TRACKER_DB": None})


def damage_last_event(tracker: Tracker) -> None:
    """A payload the export cannot decode, in the last event: an export fails late."""
    with tampering(tracker.db) as conn:
        conn.execute(
            sa.text(
                "UPDATE events SET data = '{broken' WHERE position = "
                "(SELECT max(position) FROM events)"
            )
        )


@pytest.mark.parametrize("fmt", ["yaml", "jsonl"])
def test_a_failed_export_leaves_the_output_file_as_it_was(
    tracker: Tracker, db_url: str, tmp_path: Path, fmt: str
) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    out = tmp_path / "out" / f"export.{fmt}"
    out.parent.mkdir()
    out.write_text("the previous export\n", encoding="utf-8")
    damage_last_event(tracker)
    result = cli_run(db_url, "export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "an event in the log cannot be read" in result.output
    assert f"{out} was left as it was" in result.output
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_export_to_a_missing_directory_is_a_usage_error(db_url: str, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "x.yaml"
    result = cli_run(db_url, "export", "-o", str(target))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"cannot write {target}: the directory {target.parent} does not exist" in result.output
    assert not (tmp_path / "no").exists()


def test_export_replaces_a_file_keeping_its_permissions(
    tracker: Tracker, db_url: str, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    kept = tmp_path / "kept.yaml"
    kept.write_text("old\n", encoding="utf-8")
    kept.chmod(0o640)
    assert cli_run(db_url, "export", "-o", str(kept)).exit_code == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert kept.read_text(encoding="utf-8") == export_text(tracker)
    new = tmp_path / "new.yaml"
    umask = os.umask(0o022)
    os.umask(umask)
    assert cli_run(db_url, "export", "-o", str(new)).exit_code == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


ONE = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
commitments:
  - id: one
    title: One
    made_by: [mx]
    made_on: 2024-01-10
"""
ONE_NOTE = (
    ONE
    + """\
    history:
      - on: 2024-01-20
        kind: note
        note: a note
"""
)


def test_the_import_summary_counts_in_words_and_leaves_out_zeros(
    db_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "one.yaml", ONE)
    said = [cli_run(db_url, "import", str(path)).stdout]
    said.append(cli_run(db_url, "import", str(path)).stdout)
    path.write_text(ONE_NOTE, encoding="utf-8")
    said.append(cli_run(db_url, "import", str(path)).stdout)
    assert said == [
        f"{path}: 2 events appended — 1 new commitment, 1 actor added or updated\n",
        f"{path}: nothing new (1 entry already recorded)\n",
        f"{path}: 1 event appended — 1 entry already recorded\n",
    ]


# --- what older versions accepted, and same-day entries -----------------------------


def record_as_an_older_version(tracker: Tracker, commands: list[Command]) -> None:
    """Append what ``decide`` without today makes of ``commands``: the rules on days
    (the future, a follow-up done before it was scheduled) came later."""
    state: CommitmentState | None = None
    events: list[DomainEvent] = []
    for command in commands:
        for event in decide(state, command):
            numbered = replace(event, version=len(events) + 1)
            events.append(numbered)
            state = extend(state, numbered)
    with tracker.db.write() as conn:
        tracker.store.append(
            conn, "commitment:older", 0, tracker.new_events(events, command="older")
        )
    rebuild_projections(tracker)


def test_an_export_of_entries_an_older_version_accepted_imports_where_it_came_from(
    tracker: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    follow_up = FollowUpSpec("ask", day("2024-03-05"), "Ask the ministry")
    record_as_an_older_version(
        tracker,
        [
            MakeCommitment("older", "Border \u0096 talks", ("mx",), day("2024-01-10")),
            ScheduleFollowUp(day("2024-03-01"), follow_up),
            CompleteFollowUp(day("2024-02-01"), "ask", note="asked early"),
        ],
    )
    exported = write(tmp_path, "older.yaml", export_text(tracker))
    report = import_file(tracker, str(exported))
    assert (report.events, report.unchanged) == (0, 3 + 10)


def test_entries_of_one_day_keep_their_order_through_export_and_import(
    tracker: Tracker, fresh: Tracker, tmp_path: Path
) -> None:
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    on = day("2024-03-02")
    tracker.handle("new-plan", ChangeStatus(on, Status.IN_PROGRESS), name="t")
    tracker.handle(
        "new-plan",
        ChangeStatus(on, Status.BROKEN, source="cnn-2024-02-20", note="called off"),
        name="t",
    )
    first = export_text(tracker)
    import_file(fresh, str(write(tmp_path, "export.yaml", first)))
    assert export_text(fresh) == first
    assert show(fresh, "new-plan", View(today=on))["status"] == "broken"


def test_the_export_is_written_by_libyaml_and_reads_back_what_it_wrote(
    tracker: Tracker, fresh: Tracker, tmp_path: Path
) -> None:
    from tracker.service_layer.fileformat.writer import yaml_dumper

    assert issubclass(yaml_dumper(), getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    import_file(tracker, str(write(tmp_path, "story.yaml", STORY)))
    # What libyaml writes differently from PyYAML's own emitter (CHANGELOG): characters
    # beyond U+FFFF escaped, long quoted lines folded at spaces. Read back the same.
    note = '🌎 «comillas» and "quotes": ' + "a long line of words " * 12 + "\nsecond line 🚧"
    on = day("2024-03-02")
    tracker.handle("new-plan", ChangeStatus(on, Status.IN_PROGRESS, note=note), name="t")
    first = export_text(tracker)
    import_file(fresh, str(write(tmp_path, "export.yaml", first)))
    assert export_text(fresh) == first
    notes = [e["note"] for e in show(fresh, "new-plan", View(today=on))["timeline"]]
    assert note in notes and "\\U0001F30E" in first  # 🌎, escaped by libyaml


def test_a_value_shared_within_the_document_is_written_twice_not_as_an_alias() -> None:
    shared = ["mx", "us"]
    out = io.StringIO()
    write_yaml({"format": "commitments/v1", "commitments": [{"made_by": shared}] * 2}, out)
    assert "&" not in out.getvalue() and "*" not in out.getvalue()
    assert parse_text(out.getvalue(), "x.yaml").data["commitments"][1]["made_by"] == shared

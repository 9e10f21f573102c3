"""`--jobs`: the chain check, the audit and the rebuild split between worker processes
give what one pass gives, on SQLite and PostgreSQL.

The demo's log is short, so the rows a range must have before a worker is worth
starting is lowered to one: every run below with more than one job is split into
several ranges, and damage is done at positions that fall in different ones.
"""

from __future__ import annotations

import json
import os
from concurrent.futures.process import BrokenProcessPool
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support.cli import Cli
from support.tamper import tampering

from tracker.adapters import parallel
from tracker.adapters.db import Database
from tracker.adapters.eventstore import EventStore
from tracker.adapters.hashing import Chain
from tracker.adapters.integrity import _ranges, verify_chain
from tracker.adapters.schema import PROJECTION_TABLES

NOW = "2024-03-01T00:00:00Z"
FENTANYL = "fentanyl-meeting-feb-2024"
JOBS = ("2", "3", "5")


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)


@pytest.fixture
def tracker(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


def sql(db: Database, statement: str, **params: Any) -> None:
    with tampering(db) as conn:
        conn.execute(text(statement), params)


def audit(tracker: Cli, jobs: str, code: int, *extra: str) -> dict[str, Any]:
    result = tracker(
        "audit", "--format", "json", "--no-record", "--now", NOW, "--jobs", jobs, *extra
    )
    assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def chain_check(db: Database, jobs: int) -> dict[str, Any]:
    with db.read() as conn:
        check = verify_chain(EventStore(Chain()), conn, jobs=jobs)
    return {
        "events": check.events,
        "head": (check.head_position, check.head_hash),
        "chain": ([f.to_dict() for f in check.chain.items], check.chain.total),
        "contiguity": ([f.to_dict() for f in check.contiguity.items], check.contiguity.total),
    }


def damage_in_several_ranges(db: Database) -> None:
    """A changed payload early, a deleted row (a gap, a version skipped) in the middle,
    a version moved late: findings of both kinds in different ranges."""
    sql(db, 'UPDATE events SET data = \'{"title": "x"}\' WHERE position = 4')
    sql(db, "DELETE FROM events WHERE position = 30")
    sql(db, "UPDATE events SET version = version + 7 WHERE position = 55")


def test_the_ranges_cover_the_log_each_seeded_by_the_row_before_it(db: Database) -> None:
    Cli(db.url).load_demo()
    with db.read() as conn:
        total = EventStore().count(conn)
        ranges = _ranges(EventStore(Chain()), conn, 5, total)
        hashes = dict(conn.execute(text("SELECT position, hash FROM events")).all())
    assert len(ranges) == 5
    assert ranges[0][0] == 0 and ranges[-1][1] == total
    for (_, upto, _), (after, _, seed) in pairwise(ranges):
        assert after == upto and seed == hashes[after]


def _scaled(db: Database, factor: int, task: int) -> tuple[int, int]:
    with db.read() as conn:  # a connection of the worker's own
        events = EventStore().count(conn)
    return task * factor, events


def _dies(db: Database, shared: None, task: int) -> int:
    os._exit(3)


def test_workers_answer_in_the_order_of_the_ranges(db: Database) -> None:
    found = list(parallel.run_ranges(db, _scaled, 10, list(range(12)), 3))
    assert found == [(task * 10, 0) for task in range(12)]


def test_a_worker_that_dies_fails_the_pass_rather_than_hanging(db: Database) -> None:
    with pytest.raises(BrokenProcessPool):
        list(parallel.run_ranges(db, _dies, None, [1, 2, 3], 2))


def test_a_split_chain_check_finds_what_one_pass_finds(tracker: Cli, db: Database) -> None:
    clean = chain_check(db, 1)
    assert clean["chain"] == ([], 0) and clean["events"] == event_count_of(db)
    for jobs in (2, 3, 5):
        assert chain_check(db, jobs) == clean

    damage_in_several_ranges(db)
    one = chain_check(db, 1)
    assert [f["position"] for f in one["chain"][0]] == [4, 31, 55]
    assert one["contiguity"][1] == 4  # the gap, the skipped version, the move and after
    for jobs in (2, 3, 5):
        assert chain_check(db, jobs) == one, jobs


def event_count_of(db: Database) -> int:
    with db.read() as conn:
        return EventStore().count(conn)


def test_a_split_audit_reports_what_one_pass_reports(tracker: Cli, db: Database) -> None:
    assert audit(tracker, "1", 0) == audit(tracker, "3", 0)

    damage_in_several_ranges(db)
    sql(db, "UPDATE commitments SET title = 'Never mind' WHERE id = :id", id=FENTANYL)
    sql(db, "UPDATE events SET data = '[1, 2]' WHERE position = 45")
    one = audit(tracker, "1", 1)
    assert {c["name"] for c in one["checks"] if c["outcome"] == "fail"} >= {
        "chain",
        "contiguity",
        "projections",
    }
    for jobs in JOBS:
        assert audit(tracker, jobs, 1) == one, jobs


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE events SET hash = :zeros WHERE position = 63",  # the digest's head rewritten
        "DELETE FROM events WHERE position > 40",  # the log cut short of it
    ],
)
def test_a_split_audit_holds_the_log_to_a_kept_digest_as_one_pass_does(
    tracker: Cli, db: Database, tmp_path: Path, damage: str
) -> None:
    kept = tmp_path / "head.json"
    tracker.ok("audit", "digest", "-o", str(kept), "--jobs", "3")
    assert json.loads(kept.read_text(encoding="utf-8"))["position"] == 63
    assert audit(tracker, "3", 0, "--digest", str(kept)) == audit(
        tracker, "1", 0, "--digest", str(kept)
    )
    sql(db, damage, zeros="0" * 64)
    one = audit(tracker, "1", 1, "--digest", str(kept))
    assert "digest" in json.dumps(one["checks"][0]["findings"])
    for jobs in JOBS:
        assert audit(tracker, jobs, 1, "--digest", str(kept)) == one, jobs


def test_numbers_stored_as_text_are_found_by_whichever_worker_reads_them(
    tracker: Cli, db: Database, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps a column's type; SQLite stores what it is given")
    # ...except in the rowid, which events.position is since schema 0005.
    with pytest.raises(DBAPIError, match="datatype mismatch"):
        sql(db, "UPDATE events SET position = 'forty' WHERE position = 40")
    sql(db, "UPDATE events SET version = 'two' WHERE position = 12")
    sql(db, "UPDATE events SET schema_version = 'one' WHERE position = 40")
    one = audit(tracker, "1", 1)
    for jobs in JOBS:
        assert audit(tracker, jobs, 1) == one, jobs
    assert chain_check(db, 3) == chain_check(db, 1)


def projection_tables(db: Database) -> dict[str, list[Any]]:
    with db.read() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(t.select()).all())
            for t in PROJECTION_TABLES
        }


def damage_projections(db: Database) -> None:
    sql(db, "UPDATE commitments SET title = 'Never mind' WHERE id = :id", id=FENTANYL)
    sql(db, "DELETE FROM follow_ups WHERE commitment_id = 'reopen-border-crossings'")
    sql(
        db,
        "INSERT INTO actors (id, name, kind, aliases) VALUES ('nobody', 'Nobody', 'person', '[]')",
    )


def test_a_split_rebuild_ends_where_one_pass_ends(tracker: Cli, db: Database) -> None:
    fresh = projection_tables(db)
    reports = []
    for jobs in ("1", *JOBS):
        damage_projections(db)
        assert projection_tables(db) != fresh
        reports.append(tracker.ok("projections", "rebuild", "--jobs", jobs).stdout)
        assert projection_tables(db) == fresh, jobs
    assert reports[0] == reports[1] == reports[2] == reports[3]
    assert "3 projection rows differed from the log" in reports[0]
    assert "actors nobody: in the projection but not in the log" in reports[0]
    assert f"commitments {FENTANYL}: differs from the log" in reports[0]
    ok = tracker.ok("projections", "rebuild", "--jobs", "3").stdout
    assert "the projections were equal to the log" in ok


def test_a_rebuild_writes_only_the_rows_that_differ(tracker: Cli, db: Database) -> None:
    if db.url.startswith("postgresql"):
        pytest.skip("counted with SQLite triggers; what is written is the same on both")
    with db.write() as conn:
        conn.execute(text("CREATE TABLE writes (tbl TEXT)"))
        for table in PROJECTION_TABLES:
            for verb in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER w_{table.name}_{verb} AFTER {verb} ON {table.name} "
                        f"BEGIN INSERT INTO writes VALUES ('{table.name}'); END"
                    )
                )
    for jobs in ("1", "3"):
        tracker.ok("projections", "rebuild", "--jobs", jobs)
        damage_projections(db)
        with db.write() as conn:
            conn.execute(text("DELETE FROM writes"))
        tracker.ok("projections", "rebuild", "--jobs", jobs)
        with db.read() as conn:
            written = sorted(r[0] for r in conn.execute(text("SELECT tbl FROM writes")))
        # One commitment rewritten, its follow-ups put back, the stray actor deleted.
        follow_ups = written.count("follow_ups")
        assert written == ["actors", "commitments", *["follow_ups"] * follow_ups], jobs
        assert follow_ups >= 1


def test_a_split_rebuild_refuses_a_damaged_log_and_changes_nothing(
    tracker: Cli, db: Database
) -> None:
    before = projection_tables(db)
    sql(db, "UPDATE commitments SET title = 'Never mind' WHERE id = :id", id=FENTANYL)
    damaged = projection_tables(db)
    assert damaged != before
    sql(db, "UPDATE events SET data = '[1, 2]' WHERE position = 50")
    for jobs in ("1", "3"):
        result = tracker("projections", "rebuild", "--jobs", jobs)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "cannot be read or folded" in result.stderr
        assert projection_tables(db) == damaged


def test_a_split_digest_is_the_one_pass_digest(tracker: Cli) -> None:
    one = json.loads(tracker.ok("audit", "digest", "--jobs", "1").stdout)
    for jobs in JOBS:
        split = json.loads(tracker.ok("audit", "digest", "--jobs", jobs).stdout)
        assert (split["position"], split["hash"]) == (one["position"], one["hash"])


# --- the option ------------------------------------------------------------------------

COMMANDS = [("audit", "--no-record"), ("audit", "digest"), ("projections", "rebuild")]


def refused(result: Result, value: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "'--jobs'" in result.stderr
    assert f"{value!r} is not a number of worker processes" in result.stderr
    assert "give a whole number from 1 to" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", ""])
def test_a_bad_number_of_jobs_is_a_usage_error(
    tracker: Cli, db: Database, command: tuple[str, ...], value: str
) -> None:
    sql(db, "UPDATE commitments SET title = 'Never mind' WHERE id = :id", id=FENTANYL)
    events, tables = event_count_of(db), projection_tables(db)
    refused(tracker(*command, "--jobs", value), value)
    assert (event_count_of(db), projection_tables(db)) == (events, tables)  # nothing written


@pytest.mark.parametrize("command", [("audit",), ("audit", "digest"), ("projections", "rebuild")])
def test_the_help_shows_jobs_with_an_example(tracker: Cli, command: tuple[str, ...]) -> None:
    shown = tracker.ok(*command, "--help").stdout
    assert "--jobs N" in shown
    examples = [line.strip() for line in shown.splitlines() if "--jobs" in line]
    assert any(line.startswith("tracker ") for line in examples), shown

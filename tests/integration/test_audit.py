"""`tracker audit`: every check against a real log on SQLite and PostgreSQL.

The demo dataset is imported, then damaged the way someone with write access to the
database could damage it (a row changed, deleted or moved, a projection edited, the
whole chain recomputed, the log cut short), and the audit must name what was done and
where. The clock is fixed with ``--now`` so that staleness does not depend on today.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import text
from support.cli import Cli
from support.tamper import tampering

from tracker.adapters.db import Database
from tracker.adapters.eventstore import ANY_VERSION, EventStore, NewEvent, hashed_bytes
from tracker.adapters.hashing import GENESIS, Chain
from tracker.adapters.integrity import verify_chain
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.service_layer.app import Tracker
from tracker.service_layer.audit import run_audit
from tracker.service_layer.rebuild import rebuild_projections

FENTANYL = "fentanyl-meeting-feb-2024"
NOW = "2024-03-01T00:00:00Z"
KEY = "correct horse battery staple"
CLEAN = {
    "chain": "pass",
    "contiguity": "pass",
    "projections": "pass",
    "invariants": "pass",
    "staleness": "pass",
    "scorecard": "info",
}

Report = dict[str, Any]


@pytest.fixture
def tracker(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


@pytest.fixture
def app(tracker: Cli, db: Database) -> Tracker:
    """The library's view of the same database, with an explicit unkeyed chain."""
    return Tracker(db, EventStore(Chain()))


# --- helpers ---------------------------------------------------------------------------


def audit(
    tracker: Cli, *args: str, code: int = 0, env: dict[str, str | None] | None = None
) -> Report:
    """`tracker audit --format json` on the fixed clock, recording nothing."""
    result = tracker("audit", "--format", "json", "--no-record", "--now", NOW, *args, env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def outcomes(report: Report) -> dict[str, str]:
    return {c["name"]: c["outcome"] for c in report["checks"]}


def check(report: Report, name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


def positions(report: Report, name: str) -> list[int]:
    return [f["position"] for f in check(report, name)["findings"]]


def refused(result: Result, *fragments: str) -> None:
    """A usage error: exit status 2, a message, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


def sql(db: Database, statement: str, **params: Any) -> None:
    """A change made directly in the database, past the append-only triggers."""
    with tampering(db) as conn:
        conn.execute(text(statement), params)


def position_of(db: Database, stream_id: str, version: int) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                text("SELECT position FROM events WHERE stream_id = :s AND version = :v"),
                {"s": stream_id, "v": version},
            ).scalar_one()
        )


def count(db: Database) -> int:
    with db.read() as conn:
        return EventStore().count(conn)


def head(db: Database) -> tuple[int, str]:
    with db.read() as conn:
        return EventStore(Chain()).head(conn)


def stored(db: Database, column: str, position: int) -> Any:
    with db.read() as conn:
        return conn.execute(
            text(f"SELECT {column} FROM events WHERE position = :p"), {"p": position}
        ).scalar_one()


def rewrite_chain(db: Database) -> None:
    """What anyone who can write the database can do to a plain chain: recompute it."""
    with tampering(db) as conn:
        rows = [row for batch in EventStore(Chain()).read_raw(conn) for row in batch]
        previous = GENESIS
        for row in rows:
            previous = Chain().link(previous, hashed_bytes(row))
            conn.execute(
                text("UPDATE events SET hash = :h WHERE position = :p"),
                {"h": previous, "p": row[0]},
            )


# --- a clean log -----------------------------------------------------------------------


def test_a_clean_log_passes_every_check(tracker: Cli, app: Tracker, db: Database) -> None:
    events = count(db)
    report = run_audit(app, datetime(2024, 3, 1, tzinfo=UTC), record=False)

    assert report.ok
    assert {c.name: c.outcome for c in report.checks} == CLEAN
    assert (report.events, report.head_position) == (events, events)
    assert (report.head_position, report.head_hash) == head(db)
    assert report.recorded_at_position is None and not report.keyed

    found = audit(tracker)
    assert found["ok"] is True and outcomes(found) == CLEAN
    assert found["head"] == {"position": events, "hash": head(db)[1]}
    assert check(found, "chain")["summary"] == f"{events} events verified, SHA-256 chain intact"
    # The scorecard: joint pledges (the Darién visit, the fentanyl meeting) count for
    # both actors; the fentanyl meeting is overdue on 1 March.
    cards = {c["actor"]: c for c in check(found, "scorecard")["findings"]}
    assert (cards["mx"]["name"], cards["mx"]["made"], cards["us"]["made"]) == (
        "Mexico",
        10,
        5,
    )
    for card in cards.values():
        assert (card["fulfilled"], card["broken"], card["open"], card["overdue"]) == (
            1,
            0,
            card["made"] - 1,
            1,
        )
        assert (card["score"], card["average"]) == (1, 1.0)
    assert count(db) == events  # --no-record

    table = tracker.ok("audit", "--no-record", "--now", NOW).stdout
    assert "Audit passed" in table and "chain intact" in table


def test_each_run_is_recorded_once_per_moment(tracker: Cli, db: Database) -> None:
    events = count(db)
    tracker.ok("audit", "--now", NOW)
    recorded = tracker.events(ev.AUDIT_COMPLETED)
    assert len(recorded) == 1
    (done,) = recorded
    assert (done["stream_id"], done["position"]) == ("audit", events + 1)
    assert done["data"]["ok"] is True
    assert done["data"]["head"]["position"] == events  # the log before the audit event
    assert {k: v["outcome"] for k, v in done["data"]["checks"].items()} == CLEAN

    tracker.ok("audit", "--now", NOW)  # a retried run: the same moment appends nothing
    assert count(db) == events + 1
    again = json.loads(tracker.ok("audit", "--now", "2024-03-02T00:00Z", "-f", "json").stdout)
    assert again["recorded_at_position"] == events + 2
    assert again["ok"] and again["events"] == events + 1  # the earlier audit event verifies
    assert [e["version"] for e in tracker.events(ev.AUDIT_COMPLETED)] == [1, 2]


# --- a damaged log ---------------------------------------------------------------------


def test_a_modified_event_is_named_by_its_position(tracker: Cli, db: Database) -> None:
    where = position_of(db, f"commitment:{FENTANYL}", 1)
    with db.read() as conn:
        stored = conn.execute(
            text("SELECT data FROM events WHERE position = :p"), {"p": where}
        ).scalar_one()
    data = {**json.loads(stored), "title": "A meeting that was never promised"}
    sql(db, "UPDATE events SET data = :d WHERE position = :p", d=json.dumps(data), p=where)

    found = audit(tracker, code=1)
    assert found["ok"] is False
    assert check(found, "chain")["outcome"] == "fail"
    assert positions(found, "chain") == [where]  # only the changed row, not all after it
    assert f"the first at position {where}" in check(found, "chain")["summary"]
    assert check(found, "contiguity")["outcome"] == "pass"
    # The projection still shows the title as recorded, which the changed log disowns;
    # rebuilding it from the tampered log would make it agree with the tampering.
    projections = check(found, "projections")
    assert projections["findings"][0]["key"] == FENTANYL
    assert "tracker projections rebuild" not in projections["summary"]
    assert "do not rebuild them from it" in projections["summary"]

    result = tracker("audit", "--no-record", "--now", NOW)
    assert result.exit_code == 1 and "Audit FAILED" in result.stdout
    assert str(where) in result.stdout


def test_a_deleted_event_leaves_a_gap_and_breaks_the_next_link(tracker: Cli, db: Database) -> None:
    stream = "commitment:reopen-border-crossings"
    gone = position_of(db, stream, 3)
    assert position_of(db, stream, 4) == gone + 1
    sql(db, "DELETE FROM events WHERE position = :p", p=gone)

    found = audit(tracker, code=1)
    contiguity = check(found, "contiguity")
    assert contiguity["outcome"] == "fail"
    assert [f["problem"] for f in contiguity["findings"]] == [
        f"position(s) {gone} missing before {gone + 1}",
        f"{stream} jumps from version 2 to 4",
    ]
    assert positions(found, "contiguity") == [gone + 1, gone + 1]
    assert positions(found, "chain") == [gone + 1]


def _rename_status(db: Database, position: int) -> None:
    data = json.loads(stored(db, "data", position))
    data["state"] = data.pop("status")
    sql(db, "UPDATE events SET data = :d WHERE position = :p", d=json.dumps(data), p=position)


DELEGATION = "commitment:us-delegation-visit-mexico"  # made, then fulfilled (entry #2)
DARIEN = "commitment:darien-visit"
FOLDING = ("projections", "invariants", "staleness", "scorecard")

# What someone with write access can do to one row that no code path expects to read:
# (stream, version, the damage, what the audit says, the checks that could not read it).
UNREADABLE = {
    "data-not-json": (
        DELEGATION,
        2,
        lambda db, p: sql(db, "UPDATE events SET data = '{oops' WHERE position = :p", p=p),
        "data is not valid JSON",
        FOLDING,
    ),
    "payload-key-renamed": (
        DELEGATION,
        2,
        _rename_status,
        "its payload lacks 'status'",
        FOLDING,
    ),
    "occurred-at-unparseable": (
        DELEGATION,
        2,
        lambda db, p: sql(
            db, "UPDATE events SET occurred_at = 'yesterday' WHERE position = :p", p=p
        ),
        "occurred_at 'yesterday' is not a timestamp",
        FOLDING,
    ),
    "bogus-type": (
        DELEGATION,
        1,
        lambda db, p: sql(db, "UPDATE events SET type = 'Bogus' WHERE position = :p", p=p),
        "unknown event type 'Bogus' in a commitment stream",
        FOLDING,
    ),
    # The commitment's first event deleted: the next is named, as folding starts there.
    "first-event-of-a-stream-deleted": (
        DARIEN,
        2,
        lambda db, p: sql(db, "DELETE FROM events WHERE position = :p", p=p - 1),
        "a follow-up before the commitment was made",
        ("projections", "staleness", "scorecard"),  # the rules need no CommitmentMade
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_row_no_check_can_read_is_a_finding_of_every_check_that_needs_it(
    tracker: Cli, db: Database, case: str
) -> None:
    stream, version, damage, problem, checks = UNREADABLE[case]
    where = position_of(db, stream, version)
    damage(db, where)

    found = audit(tracker, code=1)
    assert found["ok"] is False
    assert positions(found, "chain") == [where]
    for name in FOLDING:
        listed = check(found, name)["unreadable"]
        if name not in checks:
            assert listed == [] and check(found, name)["outcome"] == "pass"
            continue
        assert check(found, name)["outcome"] == "fail", name
        assert [(u["position"], u["stream"]) for u in listed] == [(where, stream)], name
        assert problem in listed[0]["problem"], (name, listed)
        assert check(found, name)["unreadable_total"] == 1
        assert f"the first at position {where} ({stream})" in check(found, name)["summary"]
    # The stream is left out, the others are still judged.
    assert "; 2 actors, 11 commitments, " in check(found, "scorecard")["summary"]
    assert check(found, "projections")["findings"] == []  # not "missing from the log"

    table = tracker("audit", "--no-record", "--now", NOW)
    assert table.exit_code == 1 and "Traceback" not in table.output
    assert "Audit FAILED" in table.stdout
    assert "projections: 1 row of the log cannot be read" in table.stdout
    assert stream in table.stdout and problem in table.stdout


def test_an_unreadable_row_fails_the_audit_even_under_a_recomputed_chain(
    tracker: Cli, db: Database
) -> None:
    where = position_of(db, DELEGATION, 2)
    sql(db, "UPDATE events SET data = '[1, 2]' WHERE position = :p", p=where)
    rewrite_chain(db)

    found = audit(tracker, code=1)
    assert outcomes(found) == {
        "chain": "pass",
        "contiguity": "pass",
        **dict.fromkeys(FOLDING, "fail"),
    }
    (unreadable,) = check(found, "projections")["unreadable"]
    assert unreadable == {
        "position": where,
        "stream": DELEGATION,
        "problem": "data is not a JSON object but list",
    }


def test_numbers_stored_as_text_are_findings_not_crashes(
    tracker: Cli, db: Database, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps a column's type; SQLite stores what it is given")
    where = position_of(db, DELEGATION, 2)
    sql(db, "UPDATE events SET version = 'two' WHERE position = :p", p=where)

    found = audit(tracker, code=1)
    assert {"position": where, "problem": f"{DELEGATION} has an event at version 'two'"} in (
        check(found, "contiguity")["findings"]
    )
    assert positions(found, "chain") == [where]
    for name in FOLDING:
        assert check(found, name)["unreadable"] == [
            {
                "position": where,
                "stream": DELEGATION,
                "problem": f"position {where}, version 'two': not whole numbers",
            }
        ]


def test_a_log_whose_first_event_was_deleted_is_reported(tracker: Cli, db: Database) -> None:
    sql(db, "DELETE FROM events WHERE position = 1")  # the first actor registered

    found = audit(tracker, code=1)
    assert positions(found, "chain") == [2]
    assert check(found, "contiguity")["findings"] == [
        {"position": 2, "problem": "position(s) 1 missing before 2"}
    ]
    projections = check(found, "projections")
    assert [f["problem"] for f in projections["findings"]] == [
        "in the projection but not in the log"
    ]
    assert "tracker projections rebuild" not in projections["summary"]
    assert tracker("audit", "--no-record", "--now", NOW).exit_code == 1


def test_swapped_events_break_the_chain_at_the_first_of_them(tracker: Cli, db: Database) -> None:
    first, second = position_of(db, "actor:gt", 1), position_of(db, "actor:biden", 1)
    assert first < second
    for old, new in ((first, -1), (second, first), (-1, second)):
        sql(db, "UPDATE events SET position = :new WHERE position = :old", old=old, new=new)

    found = audit(tracker, code=1)
    assert positions(found, "chain")[0] == first
    assert {first, second} <= set(positions(found, "chain"))
    assert check(found, "contiguity")["outcome"] == "pass"  # each actor is its own stream


def test_a_tampered_projection_is_named_and_rebuilt(tracker: Cli, db: Database) -> None:
    sql(db, "UPDATE commitments SET title = :t WHERE id = :id", t="Never mind", id=FENTANYL)

    found = audit(tracker, code=1)
    assert {k: v for k, v in outcomes(found).items() if v != CLEAN[k]} == {"projections": "fail"}
    assert check(found, "projections")["findings"] == [
        {"table": "commitments", "key": FENTANYL, "problem": "differs from the log"}
    ]
    assert "tracker projections rebuild" in check(found, "projections")["summary"]

    rebuilt = tracker.ok("projections", "rebuild").stdout
    assert f"commitments {FENTANYL}: differs from the log" in rebuilt
    assert outcomes(audit(tracker)) == CLEAN
    assert FENTANYL in tracker.ok("show", FENTANYL).stdout


@pytest.mark.parametrize(
    ("column", "value"),
    [("status_row", "{}"), ("overdue_after", "2099-01-01"), ("open_follow_ups_due", "")],
)
def test_a_tampered_stored_status_row_is_named_and_rebuilt(
    tracker: Cli, db: Database, column: str, value: str
) -> None:
    """The status report's stored columns are projection columns like the others."""
    status = tracker.ok("status", "--format", "json").stdout
    sql(db, f"UPDATE commitments SET {column} = :v WHERE id = :id", v=value, id="darien-visit")

    found = audit(tracker, code=1)
    assert check(found, "projections")["findings"] == [
        {"table": "commitments", "key": "darien-visit", "problem": "differs from the log"}
    ]
    tracker.ok("projections", "rebuild")
    assert outcomes(audit(tracker)) == CLEAN
    assert tracker.ok("status", "--format", "json").stdout == status


def test_no_projection_is_rebuilt_from_a_row_that_cannot_be_read(
    tracker: Cli, db: Database
) -> None:
    before = tracker.ok("status", "--format", "json").stdout
    sql(
        db,
        "UPDATE events SET data = :d WHERE position = :p",
        d="[1, 2]",
        p=position_of(db, f"commitment:{FENTANYL}", 1),
    )
    result = tracker("projections", "rebuild")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot be read or folded" in result.stderr and "tracker audit" in result.stderr
    assert tracker.ok("status", "--format", "json").stdout == before


# --- the digest ------------------------------------------------------------------------


@pytest.fixture
def digest(tracker: Cli, db: Database, tmp_path: Path) -> Path:
    """A digest of the demo's head, kept in a file."""
    path = tmp_path / "head.json"
    result = tracker.ok("audit", "digest", "-o", str(path))
    position = count(db)
    assert f"Digest of position {position} written to {path}" in result.stderr
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["format"] == "tracker-digest/v1"
    assert (kept["position"], kept["hash"], kept["keyed"]) == (position, head(db)[1], False)
    assert json.loads(tracker.ok("audit", "digest").stdout)["hash"] == kept["hash"]
    return path


def test_a_log_that_grew_still_extends_its_digest(tracker: Cli, db: Database, digest: Path) -> None:
    kept = json.loads(digest.read_text(encoding="utf-8"))
    tracker.ok("record", FENTANYL, "note", "Still no date for the meeting", "--on", "2024-02-12")
    tracker.ok("audit", "--now", NOW)
    assert count(db) == kept["position"] + 2

    found = audit(tracker, "--digest", str(digest))
    assert outcomes(found) == CLEAN
    assert f"extends the digest at position {kept['position']}" in check(found, "chain")["summary"]


def test_a_recomputed_chain_verifies_but_not_against_the_digest(
    tracker: Cli, db: Database, digest: Path
) -> None:
    # The metadata is in no projection: a rewrite of it with the hashes recomputed
    # leaves nothing for any check to see, except the kept digest.
    where = position_of(db, f"commitment:{FENTANYL}", 1)
    sql(
        db,
        "UPDATE events SET meta = :m WHERE position = :p",
        m=json.dumps({"recorded_by": "someone else"}),
        p=where,
    )
    rewrite_chain(db)

    assert outcomes(audit(tracker)) == CLEAN
    found = audit(tracker, "--digest", str(digest), code=1)
    kept = json.loads(digest.read_text(encoding="utf-8"))
    rewritten = "the digest's head was rewritten: its hash differs"
    assert check(found, "chain")["findings"] == [
        {"position": kept["position"], "problem": rewritten}
    ]


def test_a_log_cut_short_of_its_digest_fails(tracker: Cli, db: Database, tmp_path: Path) -> None:
    # Audit events belong to no projection, so cutting them off leaves every other check
    # satisfied: a consistent, shorter log.
    tracker.ok("audit", "--now", NOW)
    tracker.ok("audit", "--now", "2024-03-02T00:00Z")
    kept = tmp_path / "head.json"
    tracker.ok("audit", "digest", "-o", str(kept))
    end = count(db)
    sql(db, "DELETE FROM events WHERE position = :p", p=end)

    assert outcomes(audit(tracker)) == CLEAN
    found = audit(tracker, "--digest", str(kept), code=1)
    (finding,) = check(found, "chain")["findings"]
    assert finding["position"] == end
    assert f"no longer in the log, which ends at {end - 1}" in finding["problem"]


def test_a_malformed_digest_is_a_usage_error_naming_the_file(
    tracker: Cli, db: Database, tmp_path: Path
) -> None:
    events = count(db)
    cases = {
        "not-json.json": ("{oops", "not a JSON digest"),
        "a-list.json": ("[]", "not a tracker digest"),
        "other-format.json": ('{"format": "other/v1"}', "not a tracker digest"),
        "negative.json": (
            json.dumps({"format": "tracker-digest/v1", "position": -1, "hash": "0" * 64}),
            "'position' must be a whole number",
        ),
        "short-hash.json": (
            json.dumps({"format": "tracker-digest/v1", "position": 3, "hash": "abc"}),
            "'hash' must be 64 hexadecimal digits",
        ),
    }
    for name, (content, problem) in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        refused(tracker("audit", "--digest", str(path)), str(path), problem)
    missing = tmp_path / "missing.json"
    refused(tracker("audit", "--digest", str(missing)), str(missing), "cannot read the digest")
    assert count(db) == events  # nothing recorded


def test_no_digest_is_taken_of_a_broken_chain(tracker: Cli, db: Database, tmp_path: Path) -> None:
    where = position_of(db, DELEGATION, 2)
    sql(db, "UPDATE events SET data = :d WHERE position = :p", d='{"status":"broken"}', p=where)

    result = tracker("audit", "digest")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert "no digest was taken" in result.stderr
    assert f"position {where}: hash does not match" in result.stderr
    kept = tmp_path / "head.json"
    assert tracker("audit", "digest", "-o", str(kept)).exit_code == 1
    assert not kept.exists()


# --- a keyed chain ---------------------------------------------------------------------


@pytest.fixture
def keyed(db_url: str) -> Cli:
    return Cli(db_url, env={"TRACKER_AUDIT_KEY": KEY}).load_demo()


def test_a_keyed_chain_verifies_only_with_its_key(keyed: Cli, db: Database) -> None:
    found = audit(keyed)
    assert outcomes(found) == CLEAN and found["keyed"] is True
    assert "keyed (HMAC-SHA-256) chain intact" in check(found, "chain")["summary"]
    keyed.ok("audit", "--now", NOW)  # recorded with the key: still verifies after
    assert outcomes(audit(keyed)) == CLEAN

    events = count(db)
    for key in ("the wrong key", None):
        found = audit(keyed, code=1, env={"TRACKER_AUDIT_KEY": key})
        chain = check(found, "chain")
        assert chain["outcome"] == "fail" and chain["total"] == found["events"]
        assert "is TRACKER_AUDIT_KEY set exactly as when the log was written" in chain["summary"]
        # Recording this run would link its event under the wrong key: it is not recorded.
        result = keyed("audit", "--now", "2024-03-02T00:00Z", env={"TRACKER_AUDIT_KEY": key})
        assert result.exit_code == 1 and count(db) == events
    assert outcomes(audit(keyed)) == CLEAN
    with db.read() as conn:
        assert verify_chain(EventStore(Chain(KEY.encode())), conn).ok
        assert not verify_chain(EventStore(Chain()), conn).ok


@pytest.mark.parametrize("key", ["the wrong key", None])
def test_a_writer_without_the_key_is_refused_and_the_audit_not_recorded(
    keyed: Cli, db: Database, key: str | None
) -> None:
    events = count(db)
    env = {"TRACKER_AUDIT_KEY": key}
    wrote = keyed("record", FENTANYL, "note", "Still no date", "--on", "2024-02-12", env=env)
    refused(wrote, f"position {events}", "TRACKER_AUDIT_KEY must be the key the log was written")
    assert KEY not in wrote.output
    assert count(db) == events

    # The audit still reports (exit 1, the chain fails), but cannot link its event.
    result = keyed("audit", "--now", NOW, "--format", "json", env=env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert report["recorded_at_position"] is None
    assert f"tampered with at position {events}" in report["not_recorded"]
    assert "This audit was not recorded" in result.stderr
    assert count(db) == events

    digest = keyed("audit", "digest", env=env)
    assert digest.exit_code == 1 and digest.stdout == ""
    assert "is TRACKER_AUDIT_KEY set exactly as when the log was written" in digest.stderr

    keyed.ok("record", FENTANYL, "note", "Still no date", "--on", "2024-02-12")
    assert outcomes(audit(keyed)) == CLEAN


def test_a_key_set_for_an_unkeyed_log_is_refused(tracker: Cli, db: Database) -> None:
    events = count(db)
    wrote = tracker(
        "record",
        FENTANYL,
        "note",
        "Still no date",
        "--on",
        "2024-02-12",
        env={"TRACKER_AUDIT_KEY": KEY},
    )
    refused(wrote, "the event log was written without one", "unset TRACKER_AUDIT_KEY")
    assert KEY not in wrote.output and count(db) == events


def test_a_tampered_head_is_reported_and_the_audit_not_linked_to_it(
    tracker: Cli, db: Database
) -> None:
    end = count(db)
    data = json.loads(stored(db, "data", end))
    sql(
        db, "UPDATE events SET data = :d WHERE position = :p", d=json.dumps({**data, "x": 1}), p=end
    )

    result = tracker("audit", "--now", NOW, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert positions(report, "chain") == [end]
    assert f"tampered with at position {end}" in report["not_recorded"]
    assert count(db) == end


# --- staleness -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "stale"),
    [
        ("90", []),
        # The two oldest: no news since 27 and 28 December (65 and 64 days by 1 March).
        ("42", ["protection-mexicans-in-us", "crack-down-on-smugglers"]),
        ("64", ["protection-mexicans-in-us"]),  # 64 days (since 28 December) are not over 64
        ("65", []),
    ],
)
def test_stale_days_sets_which_open_commitments_are_stale(
    tracker: Cli, days: str, stale: list[str]
) -> None:
    for found in (
        audit(tracker, "--stale-days", days),
        audit(tracker, env={"TRACKER_STALE_DAYS": days}),
    ):
        staleness = check(found, "staleness")
        assert [f["id"] for f in staleness["findings"]] == stale
        assert staleness["outcome"] == ("warn" if stale else "pass")
        assert found["ok"] is True and found["stale_days"] == int(days)


def test_a_day_less_makes_every_commitment_last_heard_of_in_january_stale(
    tracker: Cli,
) -> None:
    found = check(audit(tracker, "--stale-days", "41"), "staleness")
    # Everything open but the border crossings, with progress reported on 20 January.
    assert found["total"] == 9
    assert "reopen-border-crossings" not in {f["id"] for f in found["findings"]}
    assert found["summary"] == "9 of 10 open commitments have no evidence for over 41 days"
    days = [f["days_without_evidence"] for f in found["findings"]]
    assert days == sorted(days, reverse=True) and days[0] == 65


def test_a_bad_stale_days_setting_is_a_usage_error(tracker: Cli, db: Database) -> None:
    events = count(db)
    refused(
        tracker("audit", env={"TRACKER_STALE_DAYS": "abc"}),
        "TRACKER_STALE_DAYS='abc' must be a whole number of days from 1 to 3650",
    )
    for days in ("-1", "0", "3651", "99999999999"):
        refused(tracker("audit", "--stale-days", days), "1<=x<=3650")
    refused(
        tracker("audit", env={"TRACKER_STALE_DAYS": "99999999999"}),
        "TRACKER_STALE_DAYS='99999999999' must be a whole number of days from 1 to 3650",
    )
    assert count(db) == events
    assert check(audit(tracker, "--stale-days", "3650"), "staleness")["outcome"] == "pass"
    # The option wins over the environment.
    audit(tracker, "--stale-days", "90", env={"TRACKER_STALE_DAYS": "abc"})


def test_an_audit_is_not_recorded_as_of_a_future_time(tracker: Cli, db: Database) -> None:
    events = count(db)
    refused(tracker("audit", "--now", "2999-06-01"), "cannot record an audit as of 2999-06-01")
    assert count(db) == events
    tracker.ok("audit", "--now", "2999-06-01", "--no-record")  # a look ahead records nothing
    assert count(db) == events


def test_staleness_thresholds_beyond_the_calendar_do_not_overflow(app: Tracker) -> None:
    """The library takes any threshold its callers give, and must not overflow."""
    for now, days in (
        (datetime(2024, 3, 1, tzinfo=UTC), 10**12),
        (datetime(1, 1, 2, tzinfo=UTC), 90),
    ):
        report = run_audit(app, now, stale_days=days, record=False)
        assert report.check("staleness").outcome == "pass"


def test_an_audit_in_the_past_judges_the_world_as_of_that_day(tracker: Cli) -> None:
    """Like `--as-of`: what was open, stale and kept on 10 January, not what is now."""
    day = "2024-01-10"
    found = audit(tracker, "--stale-days", "10", "--now", day)  # the last --now wins
    assert found["audited_at"].startswith(day)

    cards = json.loads(tracker.ok("scorecard", "--as-of", day, "--format", "json").stdout)
    assert check(found, "scorecard")["findings"] == cards
    # Commitments made later (the Darién visit, 19 January) did not exist yet.
    assert check(found, "scorecard")["summary"] == "2 actors, 8 commitments, 7 open"

    as_of = json.loads(tracker.ok("status", "--as-of", day, "--format", "json").stdout)
    open_then = {
        r["id"]: r["last_evidence_on"]
        for r in as_of
        if r["status"]
        not in ("fulfilled", "partially_fulfilled", "broken", "withdrawn", "superseded")
    }
    staleness = check(found, "staleness")
    stale = {f["id"]: f["last_evidence_on"] for f in staleness["findings"]}
    assert stale == open_then  # all seven: nothing new since December, as of 10 January
    # Progress recorded on 20 January is after the day, so it does not count.
    assert stale["reopen-border-crossings"] == "2023-12-27"
    days = {f["id"]: f["days_without_evidence"] for f in staleness["findings"]}
    assert days["reopen-border-crossings"] == 14
    assert staleness["summary"] == "7 of 7 open commitments have no evidence for over 10 days"


# --- domain rules ----------------------------------------------------------------------


def test_a_rule_broken_in_the_log_is_a_warning(tracker: Cli, app: Tracker, db: Database) -> None:
    """Written straight to the store, as an older version or a bulk load could have."""
    stream = streams.commitment(FENTANYL)
    on = datetime(2024, 2, 5, tzinfo=UTC)
    verdict = {
        "status": "fulfilled",
        "previous": "pledged",
        "source": None,
        "quote": None,
        "note": None,
        "superseded_by": None,
    }
    progress = {"source": None, "quote": None, "note": "they met again"}
    with db.write() as conn:
        appended = app.store.append(
            conn,
            stream,
            ANY_VERSION,
            [
                NewEvent(ev.STATUS_CHANGED, verdict, on),
                NewEvent(ev.PROGRESS_RECORDED, progress, on.replace(day=8)),
            ],
        )
    # The direct append bypassed the projections too: the audit sees that first …
    assert check(audit(tracker, code=1), "projections")["outcome"] == "fail"
    rebuild_projections(app)

    found = audit(tracker)
    assert found["ok"] is True
    assert {k: v for k, v in outcomes(found).items() if v != CLEAN[k]} == {"invariants": "warn"}
    invariants = check(found, "invariants")
    assert invariants["findings"] == [
        {
            "position": appended.positions[0],
            "problem": f"{FENTANYL} entry #3: the verdict fulfilled names no source",
        },
        {
            "position": appended.positions[1],
            "problem": f"{FENTANYL} entry #4: progress after the final status fulfilled",
        },
    ]
    assert invariants["summary"].startswith("2 entries break a domain rule")

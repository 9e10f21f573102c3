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

from tracker.adapters.db import Database
from tracker.adapters.eventstore import ANY_VERSION, EventStore, NewEvent
from tracker.adapters.hashing import GENESIS, Chain, canonical_row
from tracker.adapters.integrity import verify_chain
from tracker.domain import events as ev
from tracker.jobs.audit import run_audit
from tracker.service_layer.app import Tracker
from tracker.service_layer.rebuild import event_count, rebuild_projections

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
    with db.write() as conn:
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
        return event_count(conn)


def head(db: Database) -> tuple[int, str]:
    with db.read() as conn:
        return EventStore(Chain()).head(conn)


def rewrite_chain(db: Database) -> None:
    """What anyone who can write the database can do to a plain chain: recompute it."""
    with db.write() as conn:
        rows = [row for batch in EventStore(Chain()).read_raw(conn) for row in batch]
        previous = GENESIS
        for row in rows:
            previous = Chain().link(previous, canonical_row(*row[:10]))
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
    assert (cards["mx"]["name"], cards["mx"]["commitments"], cards["us"]["commitments"]) == (
        "Mexico",
        10,
        5,
    )
    for card in cards.values():
        assert (card["fulfilled"], card["broken"], card["open"], card["overdue"]) == (
            1,
            0,
            card["commitments"] - 1,
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
    # The projection still shows the title as recorded, which the changed log disowns.
    assert check(found, "projections")["findings"][0]["key"] == FENTANYL

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
        "TRACKER_STALE_DAYS='abc' is not a whole number of days",
    )
    refused(tracker("audit", "--stale-days", "-1"))
    assert count(db) == events
    # The option wins over the environment.
    audit(tracker, "--stale-days", "90", env={"TRACKER_STALE_DAYS": "abc"})


# --- domain rules ----------------------------------------------------------------------


def test_a_rule_broken_in_the_log_is_a_warning(tracker: Cli, app: Tracker, db: Database) -> None:
    """Written straight to the store, as an older version or a bulk load could have."""
    stream = ev.commitment_stream(FENTANYL)
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
            "problem": f"{FENTANYL} entry #4: ProgressRecorded follows the final status fulfilled",
        },
    ]
    assert invariants["summary"].startswith("2 entries break a domain rule")

"""Queries over the demo dataset: the status report, one commitment, the two time axes,
actor matching, and the projections proved equal to the log (or caught when not)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from importlib.resources import files

import pytest
import time_machine
from sqlalchemy import delete, insert, select, update

from tracker.adapters import schema
from tracker.domain import streams
from tracker.domain.commitment import (
    ChangeStatus,
    CommitmentState,
    DomainError,
    MakeCommitment,
    RecordProgress,
    RetractEntry,
    fold,
)
from tracker.domain.statuses import Status
from tracker.service_layer.app import Tracker
from tracker.service_layer.fileformat.document import parse_text
from tracker.service_layer.importer import import_document
from tracker.service_layer.projections import Difference, to_domain
from tracker.service_layer.queries import QueryError, View, show, status_report
from tracker.service_layer.rebuild import check_projections, rebuild_projections

FENTANYL = "fentanyl-meeting-feb-2024"
LOADED_AT = "2024-01-21T09:00:00+00:00"  # when the demo is recorded in these tests


def day(text: str) -> date:
    return date.fromisoformat(text)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    app = Tracker.open(db_url)
    text = (files("tracker.data") / "demo.yaml").read_text(encoding="utf-8")
    with time_machine.travel(moment(LOADED_AT), tick=False):
        import_document(app, parse_text(text, "demo.yaml"))
    yield app
    app.close()


def by_id(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["id"]): r for r in rows}


def record(tracker: Tracker, at: str, cid: str, command: object) -> None:
    with time_machine.travel(moment(at), tick=False):
        tracker.handle(cid, command, name="test")  # type: ignore[arg-type]


def check(tracker: Tracker) -> list[Difference]:
    with tracker.uow.read() as session:
        return check_projections(session)


# --- the status report --------------------------------------------------------------


def test_the_fentanyl_meeting_is_pending_in_january_and_overdue_after_early_february(
    tracker: Tracker,
) -> None:
    before = by_id(status_report(tracker, View(as_of=day("2024-01-25"))))[FENTANYL]
    assert (before["status"], before["overdue"], before["days_late"]) == ("pledged", False, None)
    rows = status_report(tracker, View(as_of=day("2024-02-11")))
    assert rows[0]["id"] == FENTANYL
    assert (rows[0]["status"], rows[0]["overdue"], rows[0]["days_late"]) == ("pledged", True, 1)
    assert rows[0]["due"] == {
        "start": "2024-02-01",
        "end": "2024-02-10",
        "label": "early February 2024",
    }
    # Today's view reads the projections and judges deadlines on the given day.
    assert (
        by_id(status_report(tracker, View(today=day("2024-02-10"))))[FENTANYL]["overdue"] is False
    )
    assert by_id(status_report(tracker, View(today=day("2024-02-11"))))[FENTANYL]["overdue"] is True


def test_the_report_is_sorted_overdue_first_then_by_deadline(tracker: Tracker) -> None:
    rows = status_report(tracker, View(as_of=day("2024-03-15")))
    ranks = [(not r["overdue"], not r["overdue_follow_ups"]) for r in rows]
    assert ranks == sorted(ranks) and rows[0]["overdue"] is True
    for rank in set(ranks):  # within each group: by deadline, undated last, then by id
        group = [r for r, k in zip(rows, ranks, strict=True) if k == rank]
        dated = [r["due"]["end"] for r in group if r["due"]]  # type: ignore[index]
        assert dated == sorted(dated)
        undated = [r["id"] for r in group if r["due"] is None]
        assert [r["id"] for r in group][len(dated) :] == undated == sorted(undated)


def test_a_day_before_a_commitment_was_made_it_is_not_in_the_report(tracker: Tracker) -> None:
    ids = set(by_id(status_report(tracker, View(as_of=day("2024-01-18")))))
    assert "mexico-officials-visit-us-jan-2024" in ids
    assert {"darien-visit", FENTANYL, "guatemala-outreach"}.isdisjoint(ids)
    early = by_id(status_report(tracker, View(as_of=day("2024-01-18"))))
    assert early["mexico-officials-visit-us-jan-2024"]["status"] == "pledged"
    later = by_id(status_report(tracker, View(as_of=day("2024-02-05"))))
    assert later["mexico-officials-visit-us-jan-2024"]["status"] == "fulfilled"
    assert later["mexico-officials-visit-us-jan-2024"]["overdue"] is False  # kept, not late


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"status": ("fulfilled",)},
            {"us-delegation-visit-mexico", "mexico-officials-visit-us-jan-2024"},
        ),
        ({"tag": ("panama",)}, {"darien-visit"}),
        ({"tag": ("fentanyl", "panama")}, {"darien-visit", FENTANYL}),
        ({"by": "Estados Unidos", "tag": ("meeting",)}, {"us-delegation-visit-mexico", FENTANYL}),
        ({"overdue_only": True}, {FENTANYL, "darien-visit"}),
    ],
)
def test_filters(tracker: Tracker, filters: dict[str, object], expected: set[str]) -> None:
    # On 2 March the fentanyl meeting is late and the Darién check-in (due 1 March) too.
    rows = status_report(tracker, View(as_of=day("2024-03-02")), **filters)  # type: ignore[arg-type]
    if filters.get("overdue_only"):
        assert expected <= set(by_id(rows))
        assert all(r["overdue"] or r["overdue_follow_ups"] for r in rows)
    else:
        assert set(by_id(rows)) == expected


def test_an_actor_is_found_by_name_or_alias_whatever_the_accents_and_case(
    tracker: Tracker,
) -> None:
    make = MakeCommitment(
        id="barcena-visit",
        title="Bárcena visits Panama",
        made_by=("barcena",),
        made_on=day("2024-01-20"),
    )
    record(tracker, "2024-01-22T10:00:00+00:00", "barcena-visit", make)
    view = View(today=day("2024-01-25"))
    for text in (
        "barcena",
        "Alicia Bárcena",
        "ALICIA BARCENA",
        "alicia barcenas",
        " Alicia  Barcena ",
    ):
        assert [r["id"] for r in status_report(tracker, view, by=text)] == ["barcena-visit"]
    # Members count towards the bodies and governments they belong to (transitively).
    for parent in ("Secretaría de Relaciones Exteriores", "mexico's foreign ministry", "México"):
        assert "barcena-visit" in by_id(status_report(tracker, view, by=parent))
    assert "barcena-visit" not in by_id(status_report(tracker, view, by="us"))
    with pytest.raises(
        QueryError, match=r"no actor called 'Alicia Barcenaz'; did you mean barcena"
    ):
        status_report(tracker, view, by="Alicia Barcenaz")


# --- one commitment -----------------------------------------------------------------


def test_show_gives_fields_sources_with_quotes_and_the_timeline(tracker: Tracker) -> None:
    d = show(tracker, "reopen-border-crossings", View(today=day("2024-02-05")))
    assert d["made_by"] == ["us"] and d["made_to"] == ["mx"] and d["status"] == "in_progress"
    assert d["occasion"] == "High-level US–Mexico migration meeting, Mexico City"
    assert [s["id"] for s in d["sources"]] == [
        "report-2023-12-29",
        "cnn-2023-12-27",
        "efe-2024-01-20",
    ]
    cnn = d["sources"][1]
    assert cnn["language"] == "es" and cnn["publisher"] == "CNN en Español"
    assert cnn["quotes"][0].startswith("estamos comprometidos a asociarnos con México")
    assert [(e["entry"], e["kind"]) for e in d["timeline"]] == [
        (1, "made"),
        (2, "follow-up"),
        (3, "note"),
        (4, "progress"),
    ]
    assert d["timeline"][0]["recorded_at"].startswith("2024-01-21T09:00:00")
    assert d["follow_ups"][0]["id"] == "check-reopening"
    assert d["next_follow_up"] == "2024-02-01" and d["overdue_follow_ups"] == 1


def test_show_of_an_unknown_commitment_suggests_the_closest(tracker: Tracker) -> None:
    with pytest.raises(
        QueryError, match=f"no commitment 'fentanyl-meeting'; did you mean {FENTANYL}"
    ):
        show(tracker, "fentanyl-meeting", View())
    with pytest.raises(QueryError, match="no commitment 'darien-visit'"):
        show(tracker, "darien-visit", View(as_of=day("2024-01-18")))  # not made yet


# --- time travel: the world's time and the record's time -----------------------------


def test_as_of_and_known_at_are_two_different_questions(tracker: Tracker) -> None:
    fulfilled = ChangeStatus(
        day("2024-02-08"), Status.FULFILLED, source="efe-2024-01-20", note="they met"
    )
    record(tracker, "2024-02-20T12:00:00+00:00", FENTANYL, fulfilled)
    # Today, and as of 11 February in the world: it happened on the 8th, so not late.
    now = by_id(status_report(tracker, View(today=day("2024-02-21"))))[FENTANYL]
    assert (now["status"], now["overdue"]) == ("fulfilled", False)
    world = by_id(status_report(tracker, View(as_of=day("2024-02-11"))))[FENTANYL]
    assert (world["status"], world["overdue"]) == ("fulfilled", False)
    # What the tracker said on 15 February about 11 February: pending and late.
    said = View(as_of=day("2024-02-11"), known_at=moment("2024-02-15T00:00:00+00:00"))
    then = by_id(status_report(tracker, said))[FENTANYL]
    assert (then["status"], then["overdue"]) == ("pledged", True)
    # known_at alone judges deadlines on its own day.
    known = View(known_at=moment("2024-02-05T00:00:00+00:00"))
    assert (by_id(status_report(tracker, known))[FENTANYL]["overdue"]) is False
    # Before anything was recorded there was nothing to report.
    assert status_report(tracker, View(known_at=moment("2024-01-01T00:00:00+00:00"))) == []
    timeline = show(tracker, FENTANYL, said)["timeline"]
    assert [e["kind"] for e in timeline] == ["made", "follow-up"]
    assert [e["kind"] for e in show(tracker, FENTANYL, View())["timeline"]][-1] == "status"


def test_late_evidence_about_an_earlier_day_lands_in_place(tracker: Tracker) -> None:
    cid = "darien-visit"
    stalled = ChangeStatus(day("2024-02-10"), Status.STALLED, note="Panama postponed it")
    record(tracker, "2024-02-11T08:00:00+00:00", cid, stalled)
    late = RecordProgress(day("2024-02-01"), source="efe-2024-01-20", note="dates were set")
    record(tracker, "2024-02-12T08:00:00+00:00", cid, late)
    d = show(tracker, cid, View(today=day("2024-02-12")))
    assert (d["status"], d["status_on"]) == ("stalled", "2024-02-10")
    assert [e["entry"] for e in d["timeline"]] == [1, 2, 3, 4]  # numbered as recorded
    assert [e["on"] for e in d["timeline"]][2:] == ["2024-02-10", "2024-02-01"]
    assert by_id(status_report(tracker, View(as_of=day("2024-02-05"))))[cid]["status"] == (
        "in_progress"
    )
    assert check(tracker) == []


def test_a_retracted_entry_stays_in_the_timeline_but_not_in_the_state(tracker: Tracker) -> None:
    cid = "guatemala-outreach"
    wrong = ChangeStatus(day("2024-02-01"), Status.BROKEN, source="efe-2024-01-20")
    record(tracker, "2024-02-02T08:00:00+00:00", cid, wrong)
    record(tracker, "2024-02-03T08:00:00+00:00", cid, RetractEntry(day("2024-02-03"), 4, "misread"))
    d = show(tracker, cid, View(today=day("2024-02-04")))
    assert d["status"] == "pledged"
    assert [(e["entry"], e["retracted"]) for e in d["timeline"]][-2:] == [(4, True), (5, False)]
    assert d["timeline"][-1]["summary"] == "retracts entry #4: misread"
    # Dated like the mistake, so no view of the world ever shows the mistake alone.
    for as_of in ("2024-02-01", "2024-02-02"):
        assert by_id(status_report(tracker, View(as_of=day(as_of))))[cid]["status"] == "pledged"
    # But the record as it stood before the retraction did show it.
    known = View(known_at=moment("2024-02-02T12:00:00+00:00"))
    assert by_id(status_report(tracker, known))[cid]["status"] == "broken"


# --- projections --------------------------------------------------------------------


def test_a_refused_command_writes_neither_events_nor_projection_rows(tracker: Tracker) -> None:
    with tracker.db.read() as conn:
        before = conn.execute(select(schema.events.c.position)).all()
    verdict = ChangeStatus(day("2024-02-08"), Status.FULFILLED)  # no source
    with pytest.raises(DomainError, match="needs a source"):
        tracker.handle(FENTANYL, verdict, name="test")
    with tracker.db.read() as conn:
        assert conn.execute(select(schema.events.c.position)).all() == before
    assert check(tracker) == []


def test_the_projection_row_is_the_fold_of_its_stream(tracker: Tracker) -> None:
    record(
        tracker, "2024-02-12T08:00:00+00:00", FENTANYL, RecordProgress(day("2024-02-12"), note="x")
    )
    with tracker.db.read() as conn:
        (text,) = conn.execute(
            select(schema.commitments.c.state).where(schema.commitments.c.id == FENTANYL)
        ).one()
        stored = tracker.store.read_stream(conn, streams.commitment(FENTANYL))
    folded = fold(to_domain(e) for e in stored)
    assert folded is not None and folded.status is Status.IN_PROGRESS
    assert CommitmentState.from_dict(json.loads(text)).to_dict() == folded.to_dict()


def test_rebuild_proves_the_projections_equal_the_log(tracker: Tracker) -> None:
    record(
        tracker, "2024-02-12T08:00:00+00:00", FENTANYL, RecordProgress(day("2024-02-12"), note="x")
    )
    assert check(tracker) == []
    report = rebuild_projections(tracker)
    assert report.differences == [] and report.events > 60
    assert check(tracker) == []


def test_a_tampered_projection_is_detected_and_rebuilt(tracker: Tracker) -> None:
    with tracker.db.write() as conn:
        conn.execute(
            update(schema.commitments)
            .where(schema.commitments.c.id == FENTANYL)
            .values(status="fulfilled")
        )
        conn.execute(
            delete(schema.follow_ups).where(schema.follow_ups.c.commitment_id == "darien-visit")
        )
        conn.execute(
            insert(schema.actors).values(id="ghost", name="Ghost", kind="person", aliases="[]")
        )
    assert sorted(check(tracker), key=lambda d: d.table) == [
        Difference("actors", "ghost", "in the projection but not in the log"),
        Difference("commitments", FENTANYL, "differs from the log"),
        Difference("follow_ups", "darien-visit/check-darien", "missing from the projection"),
    ]
    report = rebuild_projections(tracker)
    assert len(report.differences) == 3
    assert check(tracker) == []
    assert by_id(status_report(tracker, View(today=day("2024-02-11"))))[FENTANYL]["status"] == (
        "pledged"
    )

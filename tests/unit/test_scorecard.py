"""The scorecard per actor and per tag (G7/G20 Research Group method), pure: ``scorecard`` alone."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.commitment import CommitmentState
from tracker.domain.deadlines import DueWindow
from tracker.domain.scorecard import Score, scorecard
from tracker.domain.statuses import Status

MADE_ON = date(2024, 1, 19)
EARLY_FEB = DueWindow(date(2024, 2, 1), date(2024, 2, 10), "early February 2024")
FEB_11 = date(2024, 2, 11)


def pledge(
    made_by: list[str],
    status: Status = Status.PLEDGED,
    due: DueWindow | None = None,
    *,
    status_on: date | None = None,
    tags: list[str] | None = None,
) -> CommitmentState:
    return CommitmentState(
        id="c",
        title="a pledge",
        made_by=made_by,
        made_to=[],
        made_on=MADE_ON,
        occasion=None,
        due=due,
        tags=tags or [],
        owner=None,
        source=None,
        quote=None,
        status=status,
        status_on=status_on or MADE_ON,
    )


def by_actor(rows: list[Score]) -> dict[str, Score]:
    return {r.key: r for r in rows}


def test_each_status_lands_in_its_count() -> None:
    states = [pledge(["mx"], s) for s in Status]
    (mx,) = scorecard(states, FEB_11)
    assert mx.commitments == 8
    assert (mx.fulfilled, mx.partially_fulfilled, mx.broken) == (1, 1, 1)
    assert mx.open == 3  # pledged, in progress, stalled; withdrawn and superseded are neither
    assert mx.assessed == 3
    assert (mx.score, mx.average) == (0, 0.0)


def test_score_is_kept_minus_broken_and_the_average_is_over_the_assessed() -> None:
    states = [
        pledge(["us"], Status.FULFILLED),
        pledge(["us"], Status.FULFILLED),
        pledge(["us"], Status.PARTIALLY_FULFILLED),
        pledge(["us"], Status.BROKEN),
        pledge(["us"], Status.WITHDRAWN),
        pledge(["us"]),
    ]
    (us,) = scorecard(states, FEB_11)
    assert (us.score, us.assessed, us.average) == (1, 4, 0.25)
    two_kept_one_broken = Score(
        "x", "X", counts={**dict.fromkeys(Status, 0), Status.FULFILLED: 2, Status.BROKEN: 1}
    )
    assert two_kept_one_broken.average == 0.33  # rounded to 2 places
    assert two_kept_one_broken.compliance == 66.7  # (1/3 + 1) / 2, from the unrounded mean


def test_open_and_overdue_are_judged_on_the_day_given() -> None:
    states = [
        pledge(["mx"], due=EARLY_FEB),
        pledge(["mx"], Status.IN_PROGRESS, due=EARLY_FEB),
        pledge(["mx"], Status.FULFILLED, due=EARLY_FEB),  # kept: never overdue
        pledge(["mx"]),  # no deadline
    ]
    assert [(r.open, r.overdue) for r in scorecard(states, FEB_11)] == [(3, 2)]
    assert [(r.open, r.overdue) for r in scorecard(states, date(2024, 2, 10))] == [(3, 0)]


def test_a_joint_commitment_counts_once_for_each_actor() -> None:
    states = [pledge(["mx", "us", "mx"], Status.FULFILLED), pledge(["mx"])]
    rows = by_actor(scorecard(states, FEB_11))
    assert (rows["mx"].commitments, rows["mx"].fulfilled, rows["mx"].open) == (2, 1, 1)
    assert (rows["us"].commitments, rows["us"].fulfilled) == (1, 1)


def test_names_come_from_the_mapping_else_the_id() -> None:
    rows = by_actor(scorecard([pledge(["mx", "gt"])], FEB_11, {"mx": "México"}))
    assert (rows["mx"].name, rows["gt"].name) == ("México", "gt")
    assert rows["mx"].to_dict() == {
        "actor": "mx",
        "name": "México",
        "made": 1,
        "pledged": 1,
        "in_progress": 0,
        "stalled": 0,
        "fulfilled": 0,
        "partially_fulfilled": 0,
        "broken": 0,
        "withdrawn": 0,
        "superseded": 0,
        "fulfilled_on_time": 0,
        "fulfilled_late": 0,
        "open": 1,
        "overdue": 0,
        "score": 0,
        "average": None,
        "compliance": None,
        "shares": {**{s.value: 0.0 for s in Status}, "pledged": 100.0},
    }


def test_best_average_first_then_more_commitments_then_id_and_unassessed_last() -> None:
    states = [
        pledge(["unassessed"]),
        pledge(["kept-one"], Status.FULFILLED),
        pledge(["kept-two"], Status.FULFILLED),
        pledge(["kept-two"], Status.FULFILLED),
        pledge(["also-kept"], Status.FULFILLED),
        pledge(["broke"], Status.BROKEN),
        pledge(["mixed"], Status.FULFILLED),
        pledge(["mixed"], Status.BROKEN),
        pledge(["abandoned"], Status.WITHDRAWN),
    ]
    assert [r.key for r in scorecard(states, FEB_11)] == [
        "kept-two",
        "also-kept",
        "kept-one",
        "mixed",
        "broke",
        "abandoned",
        "unassessed",
    ]


def test_compliance_is_mean_plus_one_halved_with_the_open_ones_beside_it() -> None:
    """Two kept pledges out of eleven: 100% compliance, and nine still open beside it."""
    states = [pledge(["us"], Status.FULFILLED)] * 2 + [pledge(["us"])] * 9
    (us,) = scorecard(states, FEB_11)
    assert (us.average, us.compliance, us.open, us.commitments) == (1.0, 100.0, 9, 11)
    assert (us.share(Status.FULFILLED), us.share(Status.PLEDGED)) == (18.2, 81.8)
    mixed = [pledge(["mx"], s) for s in (Status.FULFILLED, Status.PARTIALLY_FULFILLED)]
    mixed += [pledge(["mx"], Status.BROKEN)] * 2
    (mx,) = scorecard(mixed, FEB_11)
    assert (mx.average, mx.compliance) == (-0.25, 37.5)


def test_late_fulfilments_are_counted_apart_from_those_on_time() -> None:
    april = DueWindow(date(2024, 4, 1), date(2024, 4, 30), "April 2024")
    states = [
        pledge(["mx"], Status.FULFILLED, april, status_on=date(2024, 5, 7)),  # 7 days late
        pledge(["mx"], Status.FULFILLED, april, status_on=date(2024, 4, 30)),  # on the last day
        pledge(["mx"], Status.FULFILLED, None, status_on=date(2025, 1, 1)),  # nothing to miss
        pledge(["mx"], Status.BROKEN, april, status_on=date(2024, 6, 1)),  # not a fulfilment
    ]
    (mx,) = scorecard(states, date(2024, 7, 1))
    assert (mx.fulfilled, mx.fulfilled_on_time, mx.fulfilled_late) == (3, 2, 1)


def test_per_tag_each_tag_gets_a_row_named_by_the_tag() -> None:
    states = [
        pledge(["mx"], Status.FULFILLED, tags=["fentanyl", "security", "fentanyl"]),
        pledge(["us", "mx"], tags=["security"]),
        pledge(["us"]),  # no tag: in no tag's row
    ]
    rows = {r.key: r for r in scorecard(states, FEB_11, group="tag")}
    assert set(rows) == {"fentanyl", "security"}
    assert (rows["security"].commitments, rows["security"].fulfilled) == (2, 1)
    assert (rows["fentanyl"].commitments, rows["fentanyl"].name) == (1, "fentanyl")
    assert rows["security"].to_dict()["tag"] == "security"


def test_no_commitments_no_rows() -> None:
    assert scorecard([], FEB_11) == []


ACTORS = ["mx", "us", "gt"]


@st.composite
def commitments(draw: st.DrawFn) -> list[CommitmentState]:
    return [
        pledge(
            draw(st.lists(st.sampled_from(ACTORS), min_size=1, max_size=3)),
            draw(st.sampled_from(list(Status))),
            draw(st.sampled_from([None, EARLY_FEB])),
        )
        for _ in range(draw(st.integers(0, 20)))
    ]


@settings(deadline=None)
@given(commitments(), st.dates(date(2024, 1, 1), date(2024, 3, 1)))
def test_every_row_adds_up(states: list[CommitmentState], on: date) -> None:
    rows = scorecard(states, on)
    assert {r.key for r in rows} == {a for s in states for a in s.made_by}
    for row in rows:
        closed = sum(
            1
            for s in states
            if row.key in s.made_by and s.status in (Status.WITHDRAWN, Status.SUPERSEDED)
        )
        assert row.assessed + row.open + closed == row.commitments
        assert 0 <= row.overdue <= row.open
        assert -row.assessed <= row.score <= row.assessed
        assert sum(row.counts.values()) == row.commitments
        assert row.fulfilled_on_time + row.fulfilled_late == row.fulfilled
        if row.average is None:
            assert row.assessed == row.fulfilled_late == 0 and row.compliance is None
        else:
            assert -1 <= row.average <= 1
            assert 0 <= row.compliance <= 100
    averages = [r.average for r in rows]
    assessed = [a for a in averages if a is not None]
    assert assessed == sorted(assessed, reverse=True)
    assert averages == assessed + [None] * (len(averages) - len(assessed))

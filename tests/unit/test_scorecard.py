"""The scorecard per actor (G7/G20 Research Group method), pure: ``scorecard`` alone."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.commitment import CommitmentState
from tracker.domain.deadlines import DueWindow
from tracker.domain.scorecard import ActorScore, scorecard
from tracker.domain.statuses import Status

MADE_ON = date(2024, 1, 19)
EARLY_FEB = DueWindow(date(2024, 2, 1), date(2024, 2, 10), "early February 2024")
FEB_11 = date(2024, 2, 11)


def pledge(
    made_by: list[str], status: Status = Status.PLEDGED, due: DueWindow | None = None
) -> CommitmentState:
    return CommitmentState(
        id="c",
        title="a pledge",
        made_by=made_by,
        made_to=[],
        made_on=MADE_ON,
        occasion=None,
        due=due,
        tags=[],
        owner=None,
        source=None,
        quote=None,
        status=status,
    )


def by_actor(rows: list[ActorScore]) -> dict[str, ActorScore]:
    return {r.actor: r for r in rows}


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
    assert ActorScore("x", "X", fulfilled=2, broken=1).average == 0.33  # rounded to 2 places


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
        "commitments": 1,
        "fulfilled": 0,
        "partially_fulfilled": 0,
        "broken": 0,
        "open": 1,
        "overdue": 0,
        "score": 0,
        "average": None,
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
    assert [r.actor for r in scorecard(states, FEB_11)] == [
        "kept-two",
        "also-kept",
        "kept-one",
        "mixed",
        "broke",
        "abandoned",
        "unassessed",
    ]


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
    assert {r.actor for r in rows} == {a for s in states for a in s.made_by}
    for row in rows:
        closed = sum(
            1
            for s in states
            if row.actor in s.made_by and s.status in (Status.WITHDRAWN, Status.SUPERSEDED)
        )
        assert row.assessed + row.open + closed == row.commitments
        assert 0 <= row.overdue <= row.open
        assert -row.assessed <= row.score <= row.assessed
        if row.average is None:
            assert row.assessed == 0
        else:
            assert -1 <= row.average <= 1
    averages = [r.average for r in rows]
    assessed = [a for a in averages if a is not None]
    assert assessed == sorted(assessed, reverse=True)
    assert averages == assessed + [None] * (len(averages) - len(assessed))

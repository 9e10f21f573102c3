"""The scorecard per actor and per tag, after the G7/G20 Research Group's compliance method.

Each assessed commitment scores +1 fulfilled, 0 partially fulfilled, −1 broken; the
average over the assessed ones runs from −1 (all broken) to +1 (all kept), and the
compliance percentage is (average + 1) / 2, as the G7 Research Group prints it. Open
and overdue counts sit beside it, with the count and share of every status as
PolitiFact tallies them, because a clean score over few verdicts says little while
most pledges are still pending: "100%" beside "9 open of 11" reads as it should.
Fulfilments after the deadline window are counted apart from those on time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.domain.commitment import CommitmentState
from tracker.domain.statuses import Status
from tracker.domain.timeliness import days_late_at_fulfilment

GROUPS = ("actor", "tag", "all")


@dataclass
class Score:
    """One row: an actor's (or a tag's) commitments counted by status on one day."""

    key: str
    name: str
    group: str = "actor"
    commitments: int = 0
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    fulfilled_late: int = 0
    overdue: int = 0

    @property
    def fulfilled(self) -> int:
        return self.counts[Status.FULFILLED]

    @property
    def partially_fulfilled(self) -> int:
        return self.counts[Status.PARTIALLY_FULFILLED]

    @property
    def broken(self) -> int:
        return self.counts[Status.BROKEN]

    @property
    def fulfilled_on_time(self) -> int:
        """Fulfilled within the window, or with no deadline to miss."""
        return self.fulfilled - self.fulfilled_late

    @property
    def open(self) -> int:
        return sum(n for status, n in self.counts.items() if not status.terminal)

    @property
    def assessed(self) -> int:
        return self.fulfilled + self.partially_fulfilled + self.broken

    @property
    def score(self) -> int:
        return self.fulfilled - self.broken

    @property
    def average(self) -> float | None:
        return round(self.score / self.assessed, 2) if self.assessed else None

    @property
    def compliance(self) -> float | None:
        """(mean + 1) / 2 as a percentage, from the unrounded mean."""
        if not self.assessed:
            return None
        return round((self.score / self.assessed + 1) / 2 * 100, 1)

    def share(self, status: Status) -> float:
        """The share of the commitments in ``status``, as a percentage."""
        return round(100 * self.counts[status] / self.commitments, 1) if self.commitments else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            self.group: self.key,
            "name": self.name,
            "made": self.commitments,
            **{status.value: n for status, n in self.counts.items()},
            "fulfilled_on_time": self.fulfilled_on_time,
            "fulfilled_late": self.fulfilled_late,
            "open": self.open,
            "overdue": self.overdue,
            "score": self.score,
            "average": self.average,
            "compliance": self.compliance,
            "shares": {status.value: self.share(status) for status in Status},
        }


def _keys(group: str) -> Callable[[CommitmentState], Iterable[str]]:
    if group == "all":
        return lambda state: ("all",)
    if group == "tag":
        return lambda state: dict.fromkeys(state.tags)
    return lambda state: dict.fromkeys(state.made_by)


def scorecard(
    states: Iterable[CommitmentState],
    day: date,
    names: Mapping[str, str] | None = None,
    *,
    group: str = "actor",
) -> list[Score]:
    """One row per actor that made a commitment (or per tag given to one, or a single
    row ``all`` for the whole tracker), best average first, unassessed last. A joint
    commitment counts once for each of its actors."""
    return ranked(tally(states, day, {}, group=group).values(), names or {})


def tally(
    states: Iterable[CommitmentState], day: date, scores: dict[str, Score], *, group: str = "actor"
) -> dict[str, Score]:
    """Count ``states`` into ``scores`` (by key), not yet named nor ranked: the tallies
    of parts of a tracker, each counted apart, add up with :func:`add_tallies`."""
    keys = _keys(group)
    for state in states:
        late = bool(days_late_at_fulfilment(state.status, state.status_on, state.due))
        overdue = state.is_overdue(day)
        for key in keys(state):
            row = scores.get(key)
            if row is None:
                row = scores[key] = Score(key, key, group)
            row.commitments += 1
            row.counts[state.status] += 1
            row.fulfilled_late += late
            row.overdue += overdue
    return scores


def add_tallies(scores: dict[str, Score], more: Mapping[str, Score]) -> None:
    for key, row in more.items():
        mine = scores.get(key)
        if mine is None:
            scores[key] = row
            continue
        mine.commitments += row.commitments
        for status, n in row.counts.items():
            mine.counts[status] += n
        mine.fulfilled_late += row.fulfilled_late
        mine.overdue += row.overdue


def ranked(scores: Iterable[Score], names: Mapping[str, str]) -> list[Score]:
    """Tallied rows named, best average first, unassessed last."""
    rows = list(scores)
    for row in rows:
        row.name = names.get(row.key, row.key)
    return sorted(
        rows,
        key=lambda r: (r.average is None, -(r.average or 0), -r.commitments, r.key),
    )

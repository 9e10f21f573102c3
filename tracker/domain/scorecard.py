"""The scorecard per actor, after the G7/G20 Research Group's compliance method.

Each assessed commitment scores +1 fulfilled, 0 partially fulfilled, −1 broken; the
average over the assessed ones runs from −1 (all broken) to +1 (all kept). Open and
overdue counts sit beside it because a clean score over few verdicts says little
while most pledges are still pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.domain.commitment import CommitmentState
from tracker.domain.statuses import Status


@dataclass
class ActorScore:
    actor: str
    name: str
    commitments: int = 0
    fulfilled: int = 0
    partially_fulfilled: int = 0
    broken: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def assessed(self) -> int:
        return self.fulfilled + self.partially_fulfilled + self.broken

    @property
    def score(self) -> int:
        return self.fulfilled - self.broken

    @property
    def average(self) -> float | None:
        return round(self.score / self.assessed, 2) if self.assessed else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "name": self.name,
            "commitments": self.commitments,
            "fulfilled": self.fulfilled,
            "partially_fulfilled": self.partially_fulfilled,
            "broken": self.broken,
            "open": self.open,
            "overdue": self.overdue,
            "score": self.score,
            "average": self.average,
        }


_VERDICT_FIELDS = {
    Status.FULFILLED: "fulfilled",
    Status.PARTIALLY_FULFILLED: "partially_fulfilled",
    Status.BROKEN: "broken",
}


def scorecard(
    states: Iterable[CommitmentState], day: date, names: Mapping[str, str] | None = None
) -> list[ActorScore]:
    """One row per actor that made a commitment, best average first, unassessed last."""
    names = names or {}
    scores: dict[str, ActorScore] = {}
    for state in states:
        for actor in dict.fromkeys(state.made_by):
            row = scores.setdefault(actor, ActorScore(actor, names.get(actor, actor)))
            row.commitments += 1
            verdict = _VERDICT_FIELDS.get(state.status)
            if verdict:
                setattr(row, verdict, getattr(row, verdict) + 1)
            elif not state.terminal:
                row.open += 1
                row.overdue += state.is_overdue(day)
    return sorted(
        scores.values(),
        key=lambda r: (r.average is None, -(r.average or 0), -r.commitments, r.actor),
    )

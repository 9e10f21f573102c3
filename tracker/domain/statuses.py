"""The eight statuses, after PolitiFact's meters, and the rules between them."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PLEDGED = "pledged"
    IN_PROGRESS = "in_progress"
    STALLED = "stalled"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    BROKEN = "broken"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def needs_source(self) -> bool:
        """A verdict on whether a promise was kept is only as good as its evidence."""
        return self in VERDICTS


TERMINAL = frozenset(
    {
        Status.FULFILLED,
        Status.PARTIALLY_FULFILLED,
        Status.BROKEN,
        Status.WITHDRAWN,
        Status.SUPERSEDED,
    }
)
VERDICTS = frozenset({Status.FULFILLED, Status.PARTIALLY_FULFILLED, Status.BROKEN})
# Where a `progress` entry moves a commitment; elsewhere progress is evidence only.
PROGRESS_MOVES = frozenset({Status.PLEDGED, Status.STALLED})


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise ValueError(f"unknown status {value!r}; use one of: {allowed}") from None

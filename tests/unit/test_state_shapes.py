"""One shape a type: a state read back from the projection never passes for a folded one.

The projection keeps a commitment's state without the events it was folded from. Such
a state used to be a ``CommitmentState`` with an empty ``history``, the same type that
``decide`` judges commands against, and a retraction looks its entry up in that
history: handed a stored state, ``decide`` would have refused a real entry as missing
(and judged the rules over no history at all) rather than fail. Now the stored state
is a plain ``CommitmentState``, the folded one a ``FoldedCommitment``, and ``decide``
takes only the latter (mypy checks it; the check below holds for untyped callers).
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from tracker.domain.commitment import (
    AddNote,
    CommitmentState,
    FoldedCommitment,
    MakeCommitment,
    RetractEntry,
    decide,
    fold,
)
from tracker.domain.events import DomainEvent

MADE_ON = date(2024, 1, 19)
TODAY = date(2026, 11, 30)


def _folded() -> FoldedCommitment:
    made = MakeCommitment("talks", "Delegations meet", ("mx",), MADE_ON)
    events: list[DomainEvent] = []
    state = None
    for command in (made, AddNote(date(2024, 1, 20), "a mistake")):
        for event in decide(state, command, today=TODAY):
            n = len(events) + 1
            events.append(dataclasses.replace(event, version=n, position=n))
        state = fold(events)
    assert isinstance(state, FoldedCommitment)
    return state


def test_a_fold_keeps_its_history_and_a_stored_state_has_none() -> None:
    folded = _folded()
    assert [e.version for e in folded.history] == [1, 2]
    stored = CommitmentState.from_dict(folded.to_dict())
    assert type(stored) is CommitmentState
    assert not hasattr(stored, "history")
    assert stored.to_dict() == folded.to_dict()  # the stored shape is all of the state
    assert type(FoldedCommitment.from_dict(folded.to_dict())) is CommitmentState


def test_a_retraction_is_decided_against_the_folded_state() -> None:
    [event] = decide(_folded(), RetractEntry(date(2024, 1, 21), 2, "wrong"), today=TODAY)
    assert event.data["entry"] == 2


def test_deciding_against_a_stored_state_is_refused_not_misjudged() -> None:
    stored = CommitmentState.from_dict(_folded().to_dict())
    with pytest.raises(TypeError, match="folded from the log"):
        decide(stored, RetractEntry(date(2024, 1, 21), 2, "wrong"), today=TODAY)  # type: ignore[arg-type]

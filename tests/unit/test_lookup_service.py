"""Resolving the id a person typed against the stored ones (``lookup.resolve_id``) on
the in-memory unit of work; the matching itself is ``test_lookup.py``'s."""

from __future__ import annotations

import pytest
from support.memory import tracker_on

from tracker.adapters.memory import MemoryLog
from tracker.service_layer.lookup import UnknownId, known_ids, resolve_id


def test_an_id_is_found_exactly_by_prefix_or_not_at_all() -> None:
    tracker = tracker_on(MemoryLog(), "darien-visit", "darien-visit-2", "mexico")

    assert known_ids(tracker) == ["darien-visit", "darien-visit-2", "mexico"]
    assert resolve_id(tracker, "darien-visit") == "darien-visit"
    assert resolve_id(tracker, "mex") == "mexico"
    with pytest.raises(UnknownId, match="darien-visit"):
        resolve_id(tracker, "dar")
    assert known_ids(tracker, "actor") == []

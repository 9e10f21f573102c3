"""The calendar's content lines, read back by an independent parser (vobject).

``publish/ical.py`` writes RFC 5545 itself (icalendar turned a backslash before ``N``
into a line break and was eight times slower, see benchmarks/RESULTS.md, P1), so what
it escapes and folds is checked here against hostile text: every character that
TEXT escapes, line breaks of each kind, and long lines of multi-byte characters.
"""

from __future__ import annotations

from datetime import date

import vobject

from tracker.service_layer.publish.ical import FOLD_OCTETS, calendar
from tracker.service_layer.publish.model import Site

HOSTILE = "C:\\New folder, a;b \\n \\, — «Reunión»\r\nsecond line\rthird " + "é" * 60


def _commitment(title: str, task: str) -> dict[str, object]:
    return {
        "id": "darien-visit",
        "title": title,
        "timeline": [{"recorded_at": "2024-01-20T10:00:00+00:00"}],
        "due": {"start": "2024-02-01", "end": "2024-02-29", "label": "in February"},
        "made_by": ["Mexico", "United States"],
        "made_on": "2024-01-10",
        "status": "in_progress",
        "timeliness": None,
        "overdue": False,
        "tags": ["migration", "a,b;c"],
        "terminal": False,
        "follow_ups": [{"id": "f1", "due": "2024-02-05", "task": task, "done_on": None}],
    }


def test_hostile_text_round_trips_through_vobject_and_lines_are_folded() -> None:
    site = Site(day=date(2024, 2, 1), names={}, commitments=[_commitment(HOSTILE, HOSTILE)])
    raw = calendar(site, title="Pledges, 2024; desk \\N", base_url="https://example.org/")
    for line in raw.split(b"\r\n"):
        assert len(line) < FOLD_OCTETS + 1  # the fold's leading space included
        line.decode()  # no character split between two lines
    cal = vobject.readOne(raw.decode())
    expected = HOSTILE.replace("\r\n", "\n").replace("\r", "\n")
    assert cal.x_wr_calname.value == "Pledges, 2024; desk \\N"
    event = cal.vevent
    assert event.summary.value == f"Deadline: {expected}"
    assert event.categories.value == ["deadline", "migration", "a,b;c"]
    assert event.dtend.value == date(2024, 3, 1)  # exclusive end of an all-day window
    assert cal.vtodo.summary.value == f"Follow up: {expected}"
    assert cal.vtodo.description.value == f"For darien-visit: {expected}"
    assert cal.vtodo.uid.value == "follow-up-darien-visit-f1@example.org"

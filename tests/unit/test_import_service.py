"""The import (``importer.import_document``) on the in-memory unit of work: a valid
file is recorded and projected, a bad one writes nothing and says where, and importing
the same file again appends nothing. The file format's every rule is
``tests/integration/test_import_export.py``'s."""

from __future__ import annotations

import pytest
from support.memory import assert_projections_agree, snapshot, table, tracker_on

from tracker.adapters.memory import MemoryLog
from tracker.domain import streams
from tracker.service_layer.app import Tracker
from tracker.service_layer.fileformat.document import DataError, parse_text
from tracker.service_layer.importer import import_document

FILE = """\
format: commitments/v1
actors:
  - id: mx
    name: Mexico
    kind: government
  - id: barcena
    name: Alicia Bárcena
    kind: person
    member_of: mx
sources:
  - id: efe-2024-01-20
    publisher: EFE
    published: 2024-01-20
commitments:
  - id: darien-visit
    title: Visit the Darién Gap
    made_by: [mx]
    made_on: 2024-01-19
    due: June 2024
    source: efe-2024-01-20
    follow_ups:
      - id: ask
        due: 2024-03-01
        task: Ask whether it happened
    history:
      - on: 2024-02-20
        kind: progress
        note: dates set
        source: efe-2024-01-20
"""


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def tracker(log: MemoryLog) -> Tracker:
    return tracker_on(log)


def test_a_valid_file_is_recorded_and_projected(tracker: Tracker, log: MemoryLog) -> None:
    report = import_document(tracker, parse_text(FILE, "story.yaml"))

    assert (report.actors, report.sources, report.commitments) == (2, 1, 1)
    assert report.events == len(log.rows) == 6
    with tracker.uow.read() as session:
        made = session.read_stream(streams.commitment("darien-visit"))
    assert [e.meta["command"] for e in made] == ["import"] * 3
    assert [f["follow_up_id"] for f in table(log, "follow_ups")] == ["ask"]
    assert_projections_agree(tracker, log)


def test_a_bad_file_writes_nothing_and_says_where(tracker: Tracker, log: MemoryLog) -> None:
    import_document(tracker, parse_text(FILE, "story.yaml"))
    before = snapshot(log)
    bad = FILE + "      - on: 2024-02-21\n        kind: progress\n        source: efe-2024-01-21\n"

    with pytest.raises(DataError) as caught:
        import_document(tracker, parse_text(bad, "bad.yaml"))

    assert caught.value.file == "bad.yaml"
    [problem] = caught.value.problems
    assert problem.path == "commitments[0].history[1].source"
    assert problem.line == bad.splitlines().index("        source: efe-2024-01-21") + 1
    assert "unknown source 'efe-2024-01-21'; did you mean efe-2024-01-20?" in problem.message
    assert snapshot(log) == before


def test_importing_the_same_file_again_appends_nothing(tracker: Tracker, log: MemoryLog) -> None:
    import_document(tracker, parse_text(FILE, "story.yaml"))
    before = snapshot(log)

    again = import_document(tracker, parse_text(FILE, "story.yaml"))

    assert (again.events, again.actors, again.sources, again.unchanged) == (0, 0, 0, 3)
    assert snapshot(log) == before

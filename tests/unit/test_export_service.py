"""The export (``exporter``) on the in-memory unit of work: what a memory tracker
exports, imported into another, gives the same log and tables. The format's every rule
is ``tests/integration/test_import_export.py``'s."""

from __future__ import annotations

import io

from support.memory import assert_projections_agree, tracker_on
from test_import_service import FILE

from tracker.adapters.memory import MemoryLog
from tracker.domain import streams
from tracker.service_layer.app import Tracker
from tracker.service_layer.exporter import event_json, export_document, export_size, write_jsonl
from tracker.service_layer.fileformat.document import parse_text
from tracker.service_layer.fileformat.writer import write_yaml
from tracker.service_layer.importer import import_document


def _exported(tracker: Tracker) -> str:
    out = io.StringIO()
    write_yaml(export_document(tracker), out)
    return out.getvalue()


def test_an_export_round_trips_through_an_import_into_another_memory_tracker() -> None:
    first_log, second_log = MemoryLog(), MemoryLog()
    first, second = tracker_on(first_log), tracker_on(second_log)
    import_document(first, parse_text(FILE, "story.yaml"))
    heard: list[int] = []

    text = _exported(first)
    import_document(second, parse_text(text, "export.yaml"))

    assert export_size(first) == 3  # the commitment's events, not the actor's or source's
    export_document(first, heard.append)
    assert heard == [3]
    assert second_log.tables == first_log.tables
    with first.uow.read() as a, second.uow.read() as b:
        prefix = streams.prefix(streams.COMMITMENT)
        ours = [(e.stream_id, e.type, e.data) for e in a.read_by_stream(prefix=prefix)]
        theirs = [(e.stream_id, e.type, e.data) for e in b.read_by_stream(prefix=prefix)]
    assert ours == theirs
    assert _exported(second) == text
    assert_projections_agree(second, second_log)


def test_the_json_lines_export_is_the_log_in_order() -> None:
    tracker = tracker_on(MemoryLog())
    import_document(tracker, parse_text(FILE, "story.yaml"))
    out = io.StringIO()

    assert write_jsonl(tracker, out) == 6
    with tracker.uow.read() as session:
        assert out.getvalue() == "".join(event_json(e) + "\n" for e in session.read_all())

"""What the published site says (``publish.model.collect``) on the in-memory unit of
work: every commitment told as `show` tells it, with the actors' names, the sources
and the log's first hash. The pages themselves are ``tests/e2e/test_publish.py``'s."""

from __future__ import annotations

from datetime import date

from support.memory import made

from tracker.domain.commitment import RecordProgress
from tracker.service_layer.app import Tracker
from tracker.service_layer.catalog import register
from tracker.service_layer.publish.model import collect
from tracker.service_layer.queries import View, show


def test_the_site_tells_each_commitment_as_show_does() -> None:
    tracker = Tracker.in_memory()
    register(tracker, "actor", {"id": "mx", "name": "México", "kind": "country", "aliases": []})
    register(tracker, "source", {"id": "efe", "publisher": "EFE", "title": "Nota"})
    tracker.handle("darien-visit", made(), name="add")
    quoted = RecordProgress(date(2024, 2, 1), source="efe", quote="«Iremos en junio»")
    tracker.handle("darien-visit", quoted, name="record progress")
    view = View(today=date(2024, 2, 2))

    site = collect(tracker, view)

    [item] = site.commitments
    shown = show(tracker, "darien-visit", view)
    assert {k: item[k] for k in shown if k != "overdue_flags"} == {
        k: v for k, v in shown.items() if k != "overdue_flags"
    }
    assert site.names == {"mx": "México"}
    with tracker.uow.read() as session:
        assert site.genesis == next(session.read_all()).hash
    assert [f.entry["kind"] for f in site.feed] == ["progress", "made"]

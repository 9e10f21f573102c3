"""Adding actors and sources (``catalog.register``) on the in-memory unit of work: what
is recorded and projected, and what is refused with nothing written. The options'
wording is ``tests/integration/test_cli.py``'s."""

from __future__ import annotations

from typing import Any

import pytest
from support.memory import assert_projections_agree, snapshot, table

from tracker.adapters.memory import MemoryLog, MemoryUnitOfWork
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import DomainError
from tracker.service_layer.app import Tracker
from tracker.service_layer.catalog import NameTaken, register


def actor(ident: str, name: str, *aliases: str, member_of: str | None = None) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "kind": "person",
        "member_of": member_of,
        "role": None,
        "aliases": list(aliases),
    }


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def tracker(log: MemoryLog) -> Tracker:
    tracker = Tracker(MemoryUnitOfWork(log=log))
    register(tracker, "actor", actor("sre", "Secretaría de Relaciones Exteriores", "SRE"))
    return tracker


def test_an_actor_and_a_source_are_recorded_and_projected(tracker: Tracker, log: MemoryLog) -> None:
    register(tracker, "actor", actor("barcena", "Alicia Bárcena", member_of="sre"))
    register(tracker, "source", {"id": "efe", "publisher": "EFE", "title": "Nota"})

    with tracker.uow.read() as session:
        [added] = session.read_stream(streams.actor("barcena"))
    assert (added.type, added.meta["command"]) == (ev.ACTOR_REGISTERED, "actors add")
    assert [a["id"] for a in table(log, "actors")] == ["sre", "barcena"]
    assert [(s["id"], s["publisher"]) for s in table(log, "sources")] == [("efe", "EFE")]
    assert_projections_agree(tracker, log)


@pytest.mark.parametrize(
    ("kind", "item", "refusal", "message"),
    [
        ("actor", actor("sre", "Someone else"), DomainError, "actor 'sre' already exists"),
        ("actor", actor("ebrard", "Marcelo Ebrard", member_of="nobody"), DomainError, "nobody"),
        ("actor", actor("other", "Relaciones", "sre"), NameTaken, "sre"),
    ],
    ids=["id taken", "unknown member_of", "alias taken"],
)
def test_a_refused_actor_writes_nothing(
    tracker: Tracker,
    log: MemoryLog,
    kind: str,
    item: dict[str, Any],
    refusal: type[Exception],
    message: str,
) -> None:
    before = snapshot(log)
    with pytest.raises(refusal, match=message):
        register(tracker, kind, item)
    assert snapshot(log) == before

"""``tracker import``: a commitments/v1 file into the log, atomically and idempotently.

The whole file is checked and planned inside one write transaction; any problem
anywhere rolls everything back and every problem is reported together. An entry's
identity is its commitment and its position in the stream: an entry the log already
holds is compared with it (through the shared file form) and skipped when equal,
reported when changed; entries past the end of the stream are appended.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from tracker.adapters.eventstore import NewEvent
from tracker.clock import utc_today
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import (
    CommitmentState,
    DayRefused,
    DomainError,
    FoldedCommitment,
    NoSuchCommitment,
    decide,
    extend,
)
from tracker.domain.events import DomainEvent
from tracker.service_layer.app import Tracker, collector_paused
from tracker.service_layer.catalog import clashes_with
from tracker.service_layer.fileformat.commitments import CommitmentEntries
from tracker.service_layer.fileformat.document import DataError, Document, Problem, read_document
from tracker.service_layer.fileformat.forms import header_form
from tracker.service_layer.fileformat.reader import Contents, read_contents
from tracker.service_layer.projections import (
    actor_row,
    commitment_rows,
    source_row,
    to_domain,
)
from tracker.service_layer.unit_of_work import Session


@dataclass
class ImportReport:
    file: str
    actors: int = 0
    sources: int = 0
    commitments: int = 0
    events: int = 0
    unchanged: int = 0


def _unknown(kind: str, ident: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(ident, list(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; declare it under {kind}s:"
    return f"unknown {kind} {ident!r}{hint}"


@dataclass(frozen=True)
class Stored:
    """The actors and sources already stored, read once for the whole import."""

    actors: list[dict[str, Any]]
    sources: list[dict[str, Any]]


def _check_references(
    session: Session, parsed: Contents, refs: Stored, problems: list[Problem]
) -> None:
    known = {
        "actor": {a["id"] for a in refs.actors} | {a["id"] for _, a in parsed.actors},
        "source": {s["id"] for s in refs.sources} | {s["id"] for _, s in parsed.sources},
        "commitment": set(session.owner_ids("commitments")) | {c.id for c in parsed.commitments},
    }
    for path, actor in parsed.actors:
        if actor["member_of"] and actor["member_of"] not in known["actor"]:
            problems.append(
                Problem(f"{path}.member_of", _unknown("actor", actor["member_of"], known["actor"]))
            )
    # A name, alias or id two actors share (in the log, or in this file) would make
    # `--by NAME` answer for one of them; an actor the file updates keeps its own names.
    paths: dict[str, str] = {}
    for path, actor in parsed.actors:
        paths.setdefault(actor["id"], path)
    for clash in clashes_with([actor for _, actor in parsed.actors], refs.actors):
        problems.append(Problem(f"{paths[clash.actor]}.{clash.field}", str(clash)))
    for c in parsed.commitments:
        for path, kind, ident in c.references:
            if ident not in known[kind]:
                problems.append(Problem(path, _unknown(kind, ident, known[kind])))


def _reference_events(
    session: Session,
    parsed: Contents,
    refs: Stored,
    tracker: Tracker,
    report: ImportReport,
) -> list[tuple[str, int, list[NewEvent]]]:
    batch: list[tuple[str, int, list[NewEvent]]] = []
    specs = (
        (
            parsed.actors,
            refs.actors,
            actor_row,
            streams.actor,
            ev.ACTOR_REGISTERED,
            ev.ACTOR_UPDATED,
        ),
        (
            parsed.sources,
            refs.sources,
            source_row,
            streams.source,
            ev.SOURCE_REGISTERED,
            ev.SOURCE_UPDATED,
        ),
    )
    for items, stored, to_row, stream_of, created, updated in specs:
        have = {r["id"]: r for r in stored}
        for _, item in items:
            current = have.get(item["id"])
            if current is not None and current == to_row(item):
                continue
            stream = stream_of(item["id"])
            version = session.stream_version(stream)
            kind = created if current is None else updated
            event = DomainEvent(kind, utc_today(), item)
            batch.append((stream, version, tracker.new_events([event], command="import")))
            if created == ev.ACTOR_REGISTERED:
                report.actors += 1
            else:
                report.sources += 1
    return batch


def _form(event: DomainEvent) -> dict[str, Any]:
    if event.type == ev.COMMITMENT_MADE:
        return header_form(event.data)
    return ev.history_entry(event)


def _plan_commitment(
    c: CommitmentEntries,
    stored: list[DomainEvent],
    problems: list[Problem],
    report: ImportReport,
) -> tuple[list[DomainEvent], CommitmentState | None]:
    """Judge the file's entries of one commitment against the log's, in order.

    Entries the log already holds are compared with it and not judged by their date
    again (older data may hold days now refused); new ones may not lie in the future.
    """
    today = utc_today()
    state: FoldedCommitment | None = None
    new: list[DomainEvent] = []
    for version, entry in enumerate(c.entries, start=1):
        held = version <= len(stored)
        try:
            decided = decide(state, entry.command, today=None if held else today)
        except DomainError as exc:
            if held:
                state = extend(state, stored[version - 1])
            if isinstance(exc, NoSuchCommitment):
                exc = exc.naming(c.id)
            path = f"{entry.path}.{exc.key}" if isinstance(exc, DayRefused) else entry.path
            problems.append(Problem(path, str(exc)))
            if state is None:
                break  # the commitment itself was refused: its later entries cannot be judged
            continue
        made = decided[0]
        event = DomainEvent(made.type, made.on, made.data, version)
        if held:
            have = stored[version - 1]
            if _form(have) != _form(event):
                problems.append(
                    Problem(entry.path, _differs(c.id, entry.path, version, have, event))
                )
            state = extend(state, have)
            report.unchanged += 1
        else:
            new.append(event)
            state = extend(state, event)
    return new, state


def _differs(cid: str, path: str, version: int, have: DomainEvent, event: DomainEvent) -> str:
    """Why an entry that the log holds otherwise cannot be imported, and what to do."""
    if ".follow_ups[" in path and have.type != ev.FOLLOW_UP_SCHEDULED:
        fid = event.data["id"]
        return (
            f"follow-up {fid!r} is new, but follow_ups holds only the check-ins scheduled "
            f"when {cid} was made, and entry #{version} of {cid} is already a later entry "
            f"({_form(have)}); to schedule it now, remove it from follow_ups and add it at "
            f"the end of history as {{on: DAY, kind: follow_up, id: {fid}, due: DAY, task: …}}"
        )
    return (
        f"differs from entry #{version} of {cid} already in the log ({_form(have)}): "
        "history is append-only, so add a new entry (a note, a status change or a "
        "retraction) instead of editing this one; if it was recorded with the CLI since, "
        "start from `tracker export`"
    )


def import_document(
    tracker: Tracker, doc: Document, *, progress: Callable[[int], None] | None = None
) -> ImportReport:
    with collector_paused():
        return _import(tracker, doc, progress)


def _import(
    tracker: Tracker, doc: Document, progress: Callable[[int], None] | None
) -> ImportReport:
    problems: list[Problem] = []
    parsed = read_contents(doc, problems)
    report = ImportReport(doc.name)
    with tracker.uow.write() as session:
        refs = Stored(session.projected("actors"), session.projected("sources"))
        _check_references(session, parsed, refs, problems)
        batch = _reference_events(session, parsed, refs, tracker, report) if not problems else []
        valid = [c for c in parsed.commitments if c.valid]
        names = [streams.commitment(c.id) for c in valid]
        stored: dict[str, list[DomainEvent]] = {s: [] for s in names}
        for e in session.read_streams(names):
            stored[e.stream_id].append(to_domain(e))
        states: list[CommitmentState] = []
        for c, stream in zip(valid, names, strict=True):
            new, state = _plan_commitment(c, stored[stream], problems, report)
            if new and state is not None:
                report.commitments += not stored[stream]
                # Keyed by commitment and entry number: a concurrent identical import
                # then fails on the unique index instead of appending twice.
                have = len(stored[stream])
                events = tracker.new_events(
                    new, command="import", key=f"import:{c.id}", number_from=have + 1
                )
                batch.append((stream, have, events))
                states.append(state)
            if progress:
                progress(1)
        if problems:
            # Lines only now: finding one may parse the file again.
            placed = [replace(p, line=doc.line(p.path)) for p in problems]
            raise DataError(doc.name, sorted(placed, key=lambda p: p.line or 0))
        result = session.append_batch(batch)
        report.events = len(result.positions)
        _write_projections(session, parsed, states)
    return report


def _write_projections(session: Session, parsed: Contents, states: list[CommitmentState]) -> None:
    for name, items, to_row in (
        ("actors", parsed.actors, actor_row),
        ("sources", parsed.sources, source_row),
    ):
        table = [to_row(item) for _, item in items]
        session.replace_rows(name, [r["id"] for r in table], table)
    rows: dict[str, list[dict[str, Any]]] = {"commitments": [], "follow_ups": []}
    for state in states:
        for name, entries in commitment_rows(state).items():
            rows[name].extend(entries)
    ids = [s.id for s in states]
    session.replace_rows("follow_ups", ids, rows["follow_ups"])
    session.replace_rows("commitments", ids, rows["commitments"])


def import_file(
    tracker: Tracker, path: str, *, progress: Callable[[int], None] | None = None
) -> ImportReport:
    with collector_paused():
        return import_document(tracker, read_document(path), progress=progress)

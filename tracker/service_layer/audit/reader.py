"""Reading a log that may have been tampered with: every row checked, none trusted.

The pass that folds the log reads each row itself: a row whose payload is not a JSON
object, whose date does not parse, whose type its stream does not know or whose
payload cannot be upcast is :class:`Unreadable`, a finding naming its position and
stream. Where a fold fails on readable rows, bisection (:func:`culprit`) finds the
event it fails from.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from tracker.adapters.eventstore import Row, parse_ts, upcast
from tracker.adapters.integrity import Finding, Findings
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.events import DomainEvent
from tracker.service_layer.projections import FOLD_ERRORS, Days

# The event types of the streams the projections are folded from; the fold would pass
# over a row of another type in silence, so it cannot be read. (The jobs' own streams
# feed no check: their types are theirs to extend.)
KNOWN_TYPES = {kind: ev.types_in(kind) for kind in streams.FOLDED}
_decode = json.JSONDecoder().raw_decode


class Unreadable(ValueError):
    """A stored row that cannot become a domain event; the message says why."""


def reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"its payload lacks {exc.args[0]!r}" if exc.args else "its payload lacks a key"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"its payload does not fit ({type(exc).__name__}: {exc})"


class _Timestamps(Days):
    """The day of each ``occurred_at`` that is a whole timestamp, parsed once."""

    def __missing__(self, occurred: str) -> date:
        parse_ts(occurred)
        return super().__missing__(occurred)


def _event(row: Row, kind: str, days: _Timestamps) -> DomainEvent:
    """One row of ``EventStore.read_fold_rows`` as a domain event, as
    ``projections.domain_streams`` makes it, or :class:`Unreadable` saying why not."""
    position, _, version, type_, schema_version, data, occurred = row
    if type(position) is not int or type(version) is not int:
        raise Unreadable(f"position {position!r}, version {version!r}: not whole numbers")
    known = KNOWN_TYPES.get(kind)
    if known is not None and type_ not in known:
        raise Unreadable(f"unknown event type {type_!r} in a {kind} stream")
    try:
        payload, end = _decode(data)
    except (TypeError, ValueError) as exc:
        raise Unreadable(f"data is not valid JSON ({exc})") from None
    if end != len(data):
        raise Unreadable(f"data is not valid JSON (text after the payload, at {end})")
    if not isinstance(payload, dict):
        raise Unreadable(f"data is not a JSON object but {type(payload).__name__}")
    try:
        on = days[occurred]
    except (TypeError, ValueError):
        raise Unreadable(f"occurred_at {occurred!r} is not a timestamp") from None
    try:
        payload = upcast(type_, schema_version, payload)[1]
    except FOLD_ERRORS as exc:
        raise Unreadable(
            f"cannot upcast {type_} from schema version {schema_version}: {reason(exc)}"
        ) from None
    return DomainEvent(type_, on, payload, version, position)


def read_streams(
    batches: Iterable[list[Row]],
) -> Iterator[tuple[str, list[DomainEvent], list[Finding]]]:
    """Each stream's readable events in version order, and findings for the rest, from
    the batches of ``read_fold_rows``."""
    rows = itertools.chain.from_iterable(batches)
    days = _Timestamps()
    for stream_id, group in itertools.groupby(rows, key=itemgetter(1)):
        kind = stream_id.partition(":")[0]
        events: list[DomainEvent] = []
        bad: list[Finding] = []
        for row in group:
            try:
                events.append(_event(row, kind, days))
            except Unreadable as exc:
                at = row[0] if type(row[0]) is int else None
                bad.append(Finding(at, str(exc), stream_id))
        yield stream_id, events, bad


def culprit(events: Sequence[DomainEvent], judge: Callable[[list[DomainEvent]], Any]) -> int:
    """The position of the event (in version order) from which ``judge`` fails: the
    shortest failing prefix, found by bisection (``judge`` of all of them fails)."""
    ok, failing = 0, len(events)
    while failing - ok > 1:
        middle = (ok + failing) // 2
        try:
            judge(list(events[:middle]))
        except FOLD_ERRORS:
            failing = middle
        else:
            ok = middle
    return events[failing - 1].position


FAILED: Any = object()


def attempt(
    judge: Callable[[list[DomainEvent]], Any],
    events: list[DomainEvent],
    found: Findings,
    stream_id: str,
    verb: str,
) -> Any:
    """``judge(events)``, or ``FAILED`` once the event it fails from is in ``found``."""
    try:
        return judge(events)
    except FOLD_ERRORS as exc:
        found.add(culprit(events, judge), f"cannot be {verb}: {reason(exc)}", stream_id)
        return FAILED

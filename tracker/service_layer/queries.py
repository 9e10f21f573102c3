"""What people ask: where each commitment stands, and one commitment's whole story.

Today's view reads the projections. A view of another time folds the log instead:
``as_of`` keeps the events that happened by that day (the world's time) and judges
deadlines on it; ``known_at`` keeps the events recorded by then (the record's time),
so a report can be reproduced exactly as the tracker gave it on that day.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker.adapters.eventstore import StoredEvent, decode_payload, format_ts
from tracker.clock import utc_today
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import CommitmentState, FoldedCommitment, fold_made
from tracker.domain.events import DomainEvent
from tracker.domain.names import ActorDirectory
from tracker.service_layer.app import Tracker, collector_paused
from tracker.service_layer.projections import domain_streams, to_domain
from tracker.service_layer.statusrows import SORTS, sort_key, status_row
from tracker.service_layer.unit_of_work import Session


class QueryError(ValueError):
    """A query that names something that does not exist; the message suggests what does."""


@dataclass(frozen=True)
class View:
    """The two time axes of a query, and the day deadlines are judged on."""

    as_of: date | None = None
    known_at: datetime | None = None
    today: date | None = None

    @property
    def day(self) -> date:
        if self.as_of:
            return self.as_of
        if self.known_at:
            return self.known_at.astimezone(UTC).date()
        return self.today or utc_today()

    @property
    def known_at_text(self) -> str | None:
        return format_ts(self.known_at) if self.known_at else None

    @classmethod
    def at(cls, moment: datetime) -> View:
        """The world as of ``moment``'s day in UTC (the days events are dated in): what
        a job or a ``--now`` judges, so that it answers as ``--as-of`` that day does."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return cls(as_of=aware.astimezone(UTC).date())


def commitment_as_of(events: Sequence[DomainEvent], day: date | None) -> FoldedCommitment | None:
    """One commitment as it stood on ``day``: its events dated up to that day, folded
    (all of them when ``day`` is None); None when it had not been made by then.

    The one definition of "as of" for every report and job, so that a past day shows
    the evidence and the deadline in force then, whichever command asks.
    """
    kept = [e for e in events if day is None or e.on <= day]
    return fold_made(kept)


def _projections_answer(session: Session, view: View) -> bool:
    """Whether the projections are the view's answer: today's view, or a day on or
    after the last one the log dates anything on (then no event is left out)."""
    if view.known_at is not None:
        return False
    if view.as_of is None:
        return True
    last = session.last_occurred(streams.prefix(streams.COMMITMENT))
    return last is None or date.fromisoformat(last[:10]) <= view.as_of


def states_in(session: Session, view: View) -> Iterator[CommitmentState]:
    """Every commitment as the view sees it: the one source of states for the reports
    (`status`, `scorecard`) and the jobs (`overdue`, `remind`)."""
    if _projections_answer(session, view):
        for text in session.stored_states():
            yield CommitmentState.from_dict(decode_payload(text))
        return
    rows = session.read_fold_rows(
        prefix=streams.prefix(streams.COMMITMENT),
        known_at=view.known_at_text,
        happened_by=view.as_of,
    )
    for _, domain in domain_streams(rows):
        state = commitment_as_of(domain, view.as_of)
        if state is not None:
            yield state


def commitments(tracker: Tracker, view: View) -> list[CommitmentState]:
    """:func:`states_in` read in a transaction of their own."""
    with collector_paused(), tracker.uow.read() as session:
        return list(states_in(session, view))


def directory(
    actors: Iterable[Mapping[Any, Any]],
) -> tuple[ActorDirectory, dict[str, str | None]]:
    """Actors (rows of the actors projection) by name and alias, and who belongs to whom."""
    found = ActorDirectory()
    parents: dict[str, str | None] = {}
    for row in actors:
        found.add(row["id"], row["name"], json.loads(row["aliases"]))
        parents[row["id"]] = row["member_of"]
    return found, parents


def actor_ids(tracker: Tracker, names: Sequence[str]) -> list[str]:
    """The actors ``names`` name, by id, name or alias (as ``resolve_actor``)."""
    with tracker.uow.read() as session:
        known = directory(session.projected("actors"))
    return [_resolve(known, name)[0] for name in names]


def resolve_actor(session: Session, text: str) -> tuple[str, set[str]]:
    """An actor named by id, name or alias, and the ids it stands for (itself and members)."""
    return _resolve(directory(session.projected("actors")), text)


def _resolve(
    known: tuple[ActorDirectory, dict[str, str | None]], text: str
) -> tuple[str, set[str]]:
    found, parents = known
    actor = found.resolve(text)
    if actor is None:
        close = found.suggest(text)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `tracker actors`"
        raise QueryError(f"no actor called {text!r}{hint}")
    members = {actor}
    changed = True
    while changed:
        extra = {a for a, parent in parents.items() if parent in members} - members
        members |= extra
        changed = bool(extra)
    return actor, members


def _sort_key(sort: str | None) -> Callable[[dict[str, Any]], Any]:
    key = sort_key(sort)
    if key is None:
        raise QueryError(f"cannot sort by {sort!r}: choose one of {', '.join(SORTS)}")
    return key


def _upcoming(state: CommitmentState, start: date, end: date) -> bool:
    """An open commitment whose deadline window, or an open follow-up, falls in start..end."""
    if (
        state.due
        and not state.status.terminal
        and state.due.start <= end
        and state.due.end >= start
    ):
        return True
    return any(start <= f.due <= end for f in state.open_follow_ups())


def status_report(
    tracker: Tracker,
    view: View,
    *,
    by: str | None = None,
    status: tuple[str, ...] = (),
    tag: tuple[str, ...] = (),
    overdue_only: bool = False,
    due_before: date | None = None,
    upcoming: int | None = None,
    sort: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows for the status report, overdue first, then by deadline (or by ``sort``).

    ``due_before``: only deadlines that end before that day. ``upcoming``: only those
    whose deadline window or an open follow-up falls within that many days of the
    view's day. ``limit``: at most that many rows, after sorting.
    """
    day = view.day
    order = _sort_key(sort)
    ahead = date.fromordinal(day.toordinal() + upcoming) if upcoming is not None else None
    with collector_paused(), tracker.uow.read() as session:
        actors = resolve_actor(session, by)[1] if by else None
        rows = []
        for state in states_in(session, view):
            if actors is not None and not actors.intersection(state.made_by):
                continue
            if status and state.status.value not in status:
                continue
            if tag and not set(tag).intersection(state.tags):
                continue
            if due_before is not None and not (state.due and state.due.end < due_before):
                continue
            if ahead is not None and not _upcoming(state, day, ahead):
                continue
            row = status_row(state, day)
            if overdue_only and not (row["overdue"] or row["overdue_follow_ups"]):
                continue
            rows.append(row)
    rows.sort(key=order)
    return rows if limit is None else rows[:limit]


def show(tracker: Tracker, commitment_id: str, view: View) -> dict[str, Any]:
    """One commitment: its state on the view's day, its sources with quotes, its timeline."""
    stream = streams.commitment(commitment_id)
    with tracker.uow.read() as session:
        events = session.read_stream(stream, known_at=view.known_at_text)
        state = commitment_as_of([to_domain(e) for e in events], view.as_of)
        if state is None:
            ids = session.owner_ids("commitments")
            import difflib

            close = difflib.get_close_matches(commitment_id, ids, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `tracker status`"
            raise QueryError(f"no commitment {commitment_id!r}{hint}")
        source_rows = {r["id"]: r for r in session.projected("sources", state.sources)}
        flags = session.read_stream(streams.overdue(commitment_id), known_at=view.known_at_text)
    return {
        **story(state, events, source_rows, view.day),
        "overdue_flags": [flag_row(f.data) for f in flags],
    }


def flag_row(data: dict[str, Any]) -> dict[str, Any]:
    """An ``OverdueFlagged`` payload in the words of the listings (the payload keeps
    the log's own keys; the flag recorded the window's end and words, not its start)."""
    follow_up = data.get("item") if data.get("kind") == "follow_up" else None
    return {
        "kind": data.get("kind"),
        "follow_up": follow_up,
        "due": {"end": data.get("due_end"), "label": data.get("due_label")},
        "days_late": data.get("days_late"),
        "flagged_on": data.get("flagged_on"),
    }


def story(
    state: FoldedCommitment,
    events: list[StoredEvent],
    source_rows: dict[str, dict[str, Any]],
    day: date,
) -> dict[str, Any]:
    """A commitment told whole: its status row on ``day``, its fields, its sources with
    their quotes, and the timeline of the stored ``events`` its state was folded from
    (``show`` and the published pages tell it alike)."""
    kept = {e.version for e in state.history}
    reasons = {
        e.data["entry"]: e.data["reason"]
        for e in events
        if e.type == ev.ENTRY_RETRACTED and e.version in kept
    }
    timeline: list[dict[str, Any]] = []
    for e in events:
        if e.version not in kept:
            continue
        timeline.append(
            {
                "entry": e.version,
                "on": e.occurred_at[:10],
                "recorded_at": e.recorded_at,
                "kind": ev.KINDS.get(e.type, e.type),
                "summary": ev.summary(e.type, e.data),
                "source": e.data.get("source"),
                "quote": e.data.get("quote"),
                "note": e.data.get("note") if e.type != ev.NOTE_ADDED else None,
                "retracted": e.version in state.retracted,
                "retracted_because": reasons.get(e.version)
                if e.version in state.retracted
                else None,
                "recorded_by": e.meta.get("recorded_by"),
                "db_user": e.db_user,
            }
        )
    quotes: dict[str, list[str]] = {}
    for item in timeline:
        if item["source"] and item["quote"]:
            quotes.setdefault(item["source"], []).append(item["quote"])
    sources = [
        {**source_rows.get(s, {"id": s}), "quotes": quotes.get(s, [])} for s in state.sources
    ]
    return {
        **status_row(state, day),
        "made_to": state.made_to,
        "occasion": state.occasion,
        "status_on": state.status_on.isoformat() if state.status_on else None,
        "superseded_by": state.superseded_by,
        "follow_ups": state.to_dict()["follow_ups"],
        "sources": sources,
        "timeline": timeline,
    }


def actor_names(session: Session) -> dict[str, str]:
    """Each actor's name, by id."""
    return {a["id"]: a["name"] for a in session.projected("actors")}


def scorecard_report(tracker: Tracker, view: View, group: str = "actor") -> list[dict[str, Any]]:
    """Each actor's (or tag's) record on the view's day: every status counted, kept on
    time and late, open, overdue, and the compliance percentage."""
    from tracker.domain.scorecard import scorecard

    with tracker.uow.read() as session:
        names = actor_names(session) if group == "actor" else {}
        cards = scorecard(states_in(session, view), view.day, names, group=group)
    return [c.to_dict() for c in cards]

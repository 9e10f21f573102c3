"""What the published site says, read from the log in one pass.

Every commitment is folded from its stream as ``show`` folds it (``--as-of`` keeps
the entries dated by then, ``--known-at`` those recorded by then), so a page says
what `tracker show` says on the same day; the trend, the feed and the calendar come
from the same pass, so publishing costs about what one export costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tracker.adapters.eventstore import StoredEvent
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import CommitmentState, fold_made
from tracker.domain.events import DomainEvent
from tracker.domain.scorecard import Score, scorecard
from tracker.domain.statuses import Status
from tracker.domain.timeliness import describe
from tracker.domain.trend import month_ends, status_by_month
from tracker.service_layer.app import Tracker, collector_paused
from tracker.service_layer.projections import streams_in_order, to_domain
from tracker.service_layer.queries import View, actor_names, story
from tracker.service_layer.statusrows import report_order

UPCOMING_DAYS = 42  # "the deadlines of the next weeks" on the index


@dataclass
class FeedItem:
    commitment: str
    title: str
    entry: dict[str, Any]
    hash: str
    position: int


@dataclass
class Site:
    day: date
    names: dict[str, str]
    commitments: list[dict[str, Any]] = field(default_factory=list)
    states: list[CommitmentState] = field(default_factory=list)
    feed: list[FeedItem] = field(default_factory=list)
    genesis: str | None = None  # the log's first hash: names this tracker in the feed's id
    trend_ends: list[date] = field(default_factory=list)
    trend_counts: list[dict[Status, int]] = field(default_factory=list)

    def scores(self, group: str) -> list[Score]:
        return scorecard(self.states, self.day, self.names, group=group)

    @property
    def overdue(self) -> list[dict[str, Any]]:
        return [c for c in self.commitments if c["overdue"]]

    @property
    def upcoming(self) -> list[dict[str, Any]]:
        """Open commitments whose window ends in the next weeks, soonest first."""
        until = (self.day + timedelta(days=UPCOMING_DAYS)).isoformat()
        today = self.day.isoformat()
        found = [
            c
            for c in self.commitments
            if c["due"] and not c["terminal"] and today <= c["due"]["end"] <= until
        ]
        return sorted(found, key=lambda c: (c["due"]["end"], c["id"]))

    def made_by(self) -> dict[str, list[dict[str, Any]]]:
        """Each actor's commitments, in the site's order: one pass for every actor page
        (a scan of every commitment per actor cost a second on 10k commitments)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for c in self.commitments:
            for actor in c["made_by"]:
                found.setdefault(actor, []).append(c)
        return found


def _as_of(events: list[StoredEvent], day: date | None) -> list[StoredEvent]:
    if day is None:
        return events
    last = day.isoformat()
    return [e for e in events if e.occurred_at[:10] <= last]


def collect(tracker: Tracker, view: View) -> Site:
    """The site's contents as of the view: every commitment told as `show` tells it."""
    day = view.day
    domains: list[list[DomainEvent]] = []
    with collector_paused(), tracker.uow.read() as session:
        site = Site(day, actor_names(session))
        first_batch = next(session.read_raw(batch_size=1), [])
        site.genesis = first_batch[0][10] if first_batch else None
        sources = {r["id"]: r for r in session.projected("sources")}
        stored = session.read_by_stream(
            prefix=streams.prefix(streams.COMMITMENT), known_at=view.known_at_text
        )
        for _, all_events in streams_in_order(stored):
            events = _as_of(all_events, view.as_of)
            domain = [to_domain(e) for e in events]
            state = fold_made(domain)
            if state is None:
                continue
            item = story(state, events, sources, day)
            item["terminal"] = state.terminal
            item["timeliness"] = describe(item["days_late_at_fulfilment"])
            site.states.append(state)
            site.commitments.append(item)
            domains.append(domain)
            by_entry = {t["entry"]: t for t in item["timeline"]}
            for e in events:
                if e.type in ev.IN_FEED and e.version in by_entry:
                    site.feed.append(
                        FeedItem(state.id, state.title, by_entry[e.version], e.hash, e.position)
                    )
        site.feed.sort(key=lambda f: (f.entry["recorded_at"], f.position), reverse=True)
        site.commitments.sort(key=report_order)
        if domains:
            first = min(e.on for d in domains for e in d)
            site.trend_ends = month_ends(first, day)
            site.trend_counts = status_by_month(domains, site.trend_ends)
    return site

"""The static site as files: HTML pages, the calendar, the feed and the style sheet.

Jinja2 renders every template with autoescaping on, HTML and Atom alike, so text
from the log (titles, quotes, notes, reasons) always reaches the reader as text:
``<script>`` in a quote is shown, never run. Links between pages are relative, so
the site reads the same from a web server, a file:// URL or a copy elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from tracker.domain.scorecard import Score
from tracker.domain.statuses import Status
from tracker.service_layer.publish import svg
from tracker.service_layer.publish.ical import calendar, page_url
from tracker.service_layer.publish.model import UPCOMING_DAYS, FeedItem, Site

STATUSES = [s.value for s in Status]


class _Environment(Environment):
    """Looks a dict's keys up before its attributes for ``c.title``: the pages read
    their data from dicts, and Jinja2's default (``getattr`` first, then the key)
    raised and caught an AttributeError for each of the ~500 lookups of a page, a
    quarter of its rendering. A key named like a dict method (``items``) would now
    win over the method; none of the site's dicts has one."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@cache
def environment() -> Environment:
    env = _Environment(
        loader=PackageLoader("tracker.service_layer.publish", "templates"),
        autoescape=True,  # every template, whatever its name: .html and .atom alike
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates are package data: no stat of each file per page
    )
    env.filters["label"] = lambda value: str(value).replace("_", " ")
    env.filters["segments"] = lambda score: svg.meter(score.to_dict()["shares"])
    return env


def _page(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def site_files(site: Site, title: str, base_url: str | None = None) -> Iterator[tuple[str, bytes]]:
    """Every file of the site as (relative path, content)."""
    base_url = base_url.rstrip("/") if base_url else None
    common = {"site_title": title, "day": site.day.isoformat(), "statuses": STATUSES}
    everyone = site.scores("all")
    actors = site.scores("actor")
    yield "site.css", files(__package__).joinpath("static/site.css").read_bytes()
    yield "index.html", _index(site, everyone, actors, common).encode()
    langs = {}
    for c in site.commitments:
        langs.update({s["id"]: s.get("language") for s in c["sources"]})
    ids = {c["id"] for c in site.commitments}
    sub = {**common, "root": "../", "names": site.names, "langs": langs, "ids": ids}
    for c in site.commitments:
        page = _page("commitment.html", c=c, g=svg.timeline(c), **sub)
        yield f"commitments/{c['id']}.html", page.encode()
    made_by = site.made_by()
    for score in actors:
        rows = made_by.get(score.key, [])
        yield (
            f"actors/{score.key}.html",
            _page("actor.html", score=score, rows=rows, **sub).encode(),
        )
    yield "calendar.ics", calendar(site, title, base_url)
    yield "feed.atom", _feed(site, title, base_url, common).encode()


def _index(site: Site, everyone: list[Score], actors: list[Score], common: dict[str, Any]) -> str:
    empty = Score("all", "all", "all")
    trend_rows = [
        {"end": end.isoformat(), "counts": {s.value: n for s, n in counts.items()}}
        for end, counts in zip(site.trend_ends, site.trend_counts, strict=True)
    ]
    return _page(
        "index.html",
        root="",
        all=everyone[0] if everyone else empty,
        overdue=site.overdue,
        upcoming=site.upcoming,
        upcoming_days=UPCOMING_DAYS,
        upcoming_until=(site.day + timedelta(days=UPCOMING_DAYS)).isoformat(),
        trend=svg.trend(site.trend_ends, site.trend_counts),
        trend_rows=trend_rows,
        actors=actors,
        tags=site.scores("tag"),
        commitments=site.commitments,
        **common,
    )


def entry_id(item: FeedItem) -> str:
    """Stable across runs and unique to this log: derived from the entry's chain hash."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'tracker-entry:' + item.hash)}"


def _feed(site: Site, title: str, base_url: str | None, common: dict[str, Any]) -> str:
    items = []
    for f in site.feed:
        e = f.entry
        page = page_url(base_url, f.commitment) or f"commitments/{quote(f.commitment)}.html"
        parts = [e["summary"], e["note"], f"“{e['quote']}”" if e["quote"] else None]
        if e["retracted"]:
            parts.append(f"(retracted: {e['retracted_because']})")
        items.append(
            {
                "id": entry_id(f),
                "title": f"{f.title} — {e['kind']} (#{e['entry']}, {e['on']})",
                "link": f"{page}#entry-{e['entry']}",
                "recorded_at": e["recorded_at"],
                "kind": e["kind"],
                "summary": " ".join(p for p in parts if p),
            }
        )
    name = base_url or f"tracker-log:{site.genesis or 'empty'}"
    return _page(
        "feed.atom",
        feed_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
        updated=items[0]["recorded_at"] if items else f"{site.day.isoformat()}T00:00:00Z",
        base_url=base_url,
        items=items,
        **common,
    )

"""The calendar people subscribe to: deadlines as all-day events, follow-ups as to-dos.

Written with ``icalendar``. A deadline window is an all-day VEVENT whose DTEND is the
day after the window's last day (RFC 5545 §3.6.1: the end of an all-day event is
exclusive); every open follow-up is a VTODO due on its day. UIDs are built from the
commitment's and follow-up's ids, and DTSTAMP from the last entry recorded about
them, so a calendar application sees an unchanged item as unchanged across runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, Event, Todo

from tracker.adapters.eventstore import parse_ts
from tracker.service_layer.publish.model import Site

PRODID = "-//tracker//commitments calendar//EN"


def uid_domain(base_url: str | None) -> str:
    """The right-hand side of every UID: the site's host, else a name of our own."""
    host = urlsplit(base_url).hostname if base_url else None
    return host or "tracker.invalid"


def page_url(base_url: str | None, commitment_id: str) -> str | None:
    return f"{base_url.rstrip('/')}/commitments/{commitment_id}.html" if base_url else None


def calendar(site: Site, title: str, base_url: str | None = None) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    domain = uid_domain(base_url)
    for item in sorted(site.commitments, key=lambda c: c["id"]):
        stamp = parse_ts(max(e["recorded_at"] for e in item["timeline"]))
        url = page_url(base_url, item["id"])
        if item["due"]:
            cal.add_component(_deadline(item, stamp, domain, url))
        if not item["terminal"]:
            for follow_up in item["follow_ups"]:
                if follow_up["done_on"] is None:
                    cal.add_component(_to_do(item, follow_up, stamp, domain, url))
    calendar: bytes = cal.to_ical()
    return calendar


def _deadline(item: dict[str, Any], stamp: Any, domain: str, url: str | None) -> Event:
    due = item["due"]
    event = Event()
    event.add("uid", f"deadline-{item['id']}@{domain}")
    event.add("dtstamp", stamp)
    event.add("dtstart", date.fromisoformat(due["start"]))
    event.add("dtend", date.fromisoformat(due["end"]) + timedelta(days=1))
    event.add("summary", f"Deadline: {item['title']}")
    lines = [
        f"Made by {', '.join(item['made_by'])} on {item['made_on']}; due {due['label']}.",
        f"Status: {item['status'].replace('_', ' ')}"
        + (f", {item['timeliness']}" if item["timeliness"] else "")
        + (" (overdue)" if item["overdue"] else "")
        + ".",
    ]
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    event.add("categories", ["deadline", *item["tags"]])
    if url:
        event.add("url", url)
    return event


def _to_do(
    item: dict[str, Any], follow_up: dict[str, Any], stamp: Any, domain: str, url: str | None
) -> Todo:
    todo = Todo()
    todo.add("uid", f"follow-up-{item['id']}-{follow_up['id']}@{domain}")
    todo.add("dtstamp", stamp)
    todo.add("due", date.fromisoformat(follow_up["due"]))
    todo.add("summary", f"Follow up: {follow_up['task']}")
    todo.add("description", f"For {item['id']}: {item['title']}")
    todo.add("status", "NEEDS-ACTION")
    if url:
        todo.add("url", url)
    return todo

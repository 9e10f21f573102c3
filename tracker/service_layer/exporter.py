"""``tracker export``: the log back into commitments/v1 (YAML) or as JSON Lines.

Follow-ups scheduled together with the commitment go under ``follow_ups``; every
later entry goes under ``history`` in the order it was recorded, so importing the
export into an empty database gives every entry the same number it has here.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from tracker.adapters.eventstore import StoredEvent
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.jsontext import json_line
from tracker.service_layer.app import Tracker
from tracker.service_layer.fileformat.forms import clean, follow_up_form, header_form
from tracker.service_layer.fileformat.reader import FORMAT
from tracker.service_layer.fileformat.references import ACTOR_KEYS, SOURCE_KEYS
from tracker.service_layer.projections import streams_in_order, to_domain
from tracker.service_layer.unit_of_work import Session


def _reference(session: Session, name: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in session.projected(name):
        item = {k: row[k] for k in keys}
        if "aliases" in item:
            item["aliases"] = json.loads(item["aliases"])
        out.append(clean(item))
    return out


def _commitments(session: Session, progress: Callable[[int], object]) -> Iterator[dict[str, Any]]:
    stored = session.read_by_stream(prefix=streams.prefix(streams.COMMITMENT))
    for _, events in streams_in_order(stored):
        progress(len(events))
        domain = [to_domain(e) for e in events]
        made, rest = domain[0], domain[1:]
        item = header_form(made.data)
        follow_ups = []
        while rest and rest[0].type == ev.FOLLOW_UP_SCHEDULED and rest[0].on == made.on:
            follow_ups.append(follow_up_form(rest.pop(0).data))
        if follow_ups:
            item["follow_ups"] = follow_ups
        if rest:
            item["history"] = [ev.history_entry(e) for e in rest]
        yield item


def export_size(tracker: Tracker) -> int:
    """How many events an export reads: the total of its progress bar."""
    with tracker.uow.read() as session:
        return session.count(streams.prefix(streams.COMMITMENT))


def export_document(
    tracker: Tracker, progress: Callable[[int], object] = lambda _n: None
) -> dict[str, Any]:
    """The log as one commitments/v1 document; ``progress`` hears of each commitment's
    events as they are read."""
    with tracker.uow.read() as session:
        return {
            "format": FORMAT,
            "actors": _reference(session, "actors", ACTOR_KEYS),
            "sources": _reference(session, "sources", SOURCE_KEYS),
            "commitments": list(_commitments(session, progress)),
        }


def event_lines(tracker: Tracker, *, after: int = 0, stream: str | None = None) -> Iterator[str]:
    """The events after position ``after`` (of one stream, if given) as JSON Lines
    records (`tracker events`), read in one snapshot, a batch at a time."""
    with tracker.uow.read() as session:
        if stream:
            found: Iterator[StoredEvent] = (
                e for e in session.read_stream(stream) if e.position > after
            )
        else:
            found = session.read_all(after=after)
        for event in found:
            yield event_json(event)


def event_json(event: StoredEvent) -> str:
    """One event as a JSON Lines record (`export --format jsonl`, `tracker events`)."""
    return json_line(
        {
            "position": event.position,
            "stream_id": event.stream_id,
            "version": event.version,
            "type": event.type,
            "schema_version": event.schema_version,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "data": event.data,
            "meta": event.meta,
            "idempotency_key": event.idempotency_key,
            "hash": event.hash,
            # meta.recorded_by is the operating-system user; this is the database's.
            "db_user": event.db_user,
        }
    )


def write_jsonl(tracker: Tracker, out: TextIO) -> int:
    """One JSON object per event, in log order: for scripts and other tools."""
    count = 0
    for line in event_lines(tracker):
        out.write(line + "\n")
        count += 1
    return count


def write_file(path: Path, write: Callable[[TextIO], object]) -> None:
    """Run ``write`` on a temporary file beside ``path``, then rename it over ``path``.

    Until the rename, ``path`` keeps its old content, so an export that fails halfway
    (a database error, a full disk) leaves no empty or partial file behind. The new
    file gets the old one's permissions, or those a plain ``open`` would give it. A
    path that is not a regular file (``/dev/stdout``, a pipe) is written directly.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as out:
            write(out)
        return
    target = path.resolve() if path.is_symlink() else path  # replace the file, not the link
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        _take_permissions(Path(temporary), target)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _take_permissions(new: Path, old: Path) -> None:
    try:
        before = old.stat()
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(new, 0o666 & ~umask)
        return
    os.chmod(new, stat.S_IMODE(before.st_mode))
    with contextlib.suppress(OSError):  # only root may give a file away
        os.chown(new, before.st_uid, before.st_gid)

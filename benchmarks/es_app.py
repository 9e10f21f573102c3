"""The same commitment, written the way a developer using ``eventsourcing`` would.

W1 and W2 compare tracker with this: an ``Aggregate`` with the domain's rules for
making a commitment, scheduling its follow-ups and recording progress, saved by an
``Application`` to eventsourcing's own SQLite or PostgreSQL persistence. It keeps the
same fields and refuses the same commands (progress on a final status, progress with
neither a source nor a note) so that both sides do the same work per command, except
that eventsourcing maintains no read model: tracker's inline projection is extra work
tracker does and this side does not.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.sqlite import SQLiteFactory

_TERMINAL = {"fulfilled", "partially_fulfilled", "broken", "withdrawn", "superseded"}
_NAMESPACE = uuid.UUID("5b1d0c53-5e1f-4d0b-9a55-7472616b6572")


class Commitment(Aggregate):
    @staticmethod
    def create_id(commitment_id: str, **_: Any) -> uuid.UUID:
        # A slug names a commitment; eventsourcing wants a UUID, so derive one.
        return uuid.uuid5(_NAMESPACE, commitment_id)

    @event("Made")
    def __init__(
        self,
        commitment_id: str,
        title: str,
        made_by: list[str],
        made_to: list[str],
        made_on: str,
        occasion: str | None,
        due: dict[str, str] | None,
        tags: list[str],
        owner: str | None,
        source: str | None,
        quote: str | None,
    ) -> None:
        self.commitment_id, self.title = commitment_id, title
        self.made_by, self.made_to, self.made_on = made_by, made_to, made_on
        self.occasion, self.due, self.tags, self.owner = occasion, due, tags, owner
        self.source, self.quote = source, quote
        self.status, self.status_on = "pledged", made_on
        self.follow_ups: dict[str, dict[str, Any]] = {}
        self.sources = [source] if source else []
        self.last_evidence_on = made_on

    def schedule_follow_up(self, follow_up_id: str, due: str, task: str, owner: str | None) -> None:
        if self.status in _TERMINAL:
            raise ValueError(f"{self.commitment_id} is {self.status}: no follow-ups")
        if follow_up_id in self.follow_ups:
            raise ValueError(f"follow-up {follow_up_id!r} already exists")
        self._follow_up_scheduled(follow_up_id, due, task, owner)

    @event("FollowUpScheduled")
    def _follow_up_scheduled(
        self, follow_up_id: str, due: str, task: str, owner: str | None
    ) -> None:
        self.follow_ups[follow_up_id] = {"due": due, "task": task, "owner": owner}

    def record_progress(
        self, on: str, source: str | None, quote: str | None, note: str | None
    ) -> None:
        if self.status in _TERMINAL:
            raise ValueError(f"{self.commitment_id} is {self.status}: no progress after it")
        if on < self.made_on:
            raise ValueError(f"{on} is before the commitment was made")
        if not (source or note):
            raise ValueError("progress needs a source or a note")
        self._progress_recorded(on, source, quote, note)

    @event("ProgressRecorded")
    def _progress_recorded(
        self, on: str, source: str | None, quote: str | None, note: str | None
    ) -> None:
        if self.status in ("pledged", "stalled"):
            self.status, self.status_on = "in_progress", on
        if source and source not in self.sources:
            self.sources.append(source)
        self.last_evidence_on = max(self.last_evidence_on, on)


class Commitments(Application):
    """One command, one ``save``: one transaction, as tracker's ``handle`` does."""

    def make(self, fields: dict[str, Any], follow_ups: list[dict[str, Any]]) -> None:
        commitment = Commitment(**fields)
        for f in follow_ups:
            commitment.schedule_follow_up(f["id"], f["due"], f["task"], f.get("owner"))
        self.save(commitment)

    def record_progress(self, commitment_id: str, **evidence: Any) -> None:
        commitment: Commitment = self.repository.get(Commitment.create_id(commitment_id))
        commitment.record_progress(**evidence)
        self.save(commitment)


class TrackerDurabilitySQLiteFactory(SQLiteFactory):
    """eventsourcing's SQLite persistence with tracker's ``synchronous = NORMAL``.

    Both use WAL, but eventsourcing keeps SQLite's default ``synchronous = FULL``,
    which syncs the disk at every commit. Comparing at equal durability measures the
    software rather than the disk; the default is measured too.
    """

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        create = pool._create_connection

        def create_normal() -> Any:
            connection = create()
            connection._sqlite_conn.execute("PRAGMA synchronous = NORMAL")
            return connection

        pool._create_connection = create_normal  # type: ignore[method-assign]


SQLITE_FULL = "eventsourcing.sqlite"
SQLITE_NORMAL = f"{__name__}:{TrackerDurabilitySQLiteFactory.__name__}"


def sqlite_env(path: str, persistence: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": persistence, "SQLITE_DBNAME": path}


def postgres_env(url: str) -> dict[str, str]:
    """eventsourcing's settings for the database a ``postgresql://`` URL names."""
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.database or "postgres",
        "POSTGRES_HOST": parts.host or "localhost",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
    }

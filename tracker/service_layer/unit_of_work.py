"""The unit of work the service layer runs on: the event log and the projections it
keeps, one transaction at a time.

A port, as *Cosmic Python* has it: the service layer says what it needs, and the
adapters provide it: an SQL one over ``Database`` and ``EventStore``
(``adapters/sql_unit_of_work.py``), an in-memory one (``adapters/memory.py``) on which
service tests run without a database. Both keep the store's whole contract
(optimistic concurrency, idempotency keys, gap-free positions, the hash chain,
upcasting on read, all or nothing per transaction); ``tests/contract/`` checks it on
each.

A command reads in one batch and writes in another (:class:`CommandTransaction`):
two round trips on PostgreSQL. A read is sent when it is called and answered when the
function it returns is called, after the batch: that is what lets a batch travel
whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tracker.adapters.eventstore import (
    AppendResult,
    CommandRead,
    Head,
    NewEvent,
    Row,
    StoredEvent,
    StreamRange,
)
from tracker.adapters.hashing import Chain
from tracker.adapters.projection_sql import Changed, Key, Reference, Rows

if TYPE_CHECKING:  # the chain check loads multiprocessing: not on every command's path
    from tracker.adapters.integrity import ChainCheck, ChainDigest

T = TypeVar("T")


class EventLog(Protocol):
    """The event log as one transaction sees it."""

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        now: datetime | None = None,
    ) -> AppendResult:
        """``events`` appended if the stream is at ``expected_version`` (0: a new
        stream; ``ANY_VERSION``: unchecked); nothing, and the original positions, if
        all their idempotency keys were appended before."""
        ...

    def append_batch(
        self,
        batch: Sequence[tuple[str, int, Sequence[NewEvent]]],
        *,
        now: datetime | None = None,
        read_versions: Mapping[str, int] | None = None,
        head: Head | None = None,
    ) -> AppendResult:
        """Many streams' events, every version checked, in the order of ``batch``."""
        ...

    def stream_version(self, stream_id: str) -> int: ...

    def stream_versions(self, stream_ids: Sequence[str]) -> dict[str, int]: ...

    def count(self, prefix: str = "") -> int:
        """How many events the streams starting with ``prefix`` hold."""
        ...

    def head(self) -> tuple[int, str]: ...

    def positions_for_keys(self, keys: list[str]) -> dict[str, int]: ...

    def read_stream(self, stream_id: str, *, known_at: str | None = None) -> list[StoredEvent]: ...

    def read_streams(self, stream_ids: Sequence[str]) -> list[StoredEvent]: ...

    def read_by_stream(
        self, *, prefix: str = "", batch_size: int = 5000, known_at: str | None = None
    ) -> Iterator[StoredEvent]: ...

    def read_all(
        self, *, after: int = 0, batch_size: int = 2000, known_at: str | None = None
    ) -> Iterator[StoredEvent]: ...

    def read_raw(
        self, *, after: int = 0, batch_size: int = 2000, known_at: str | None = None
    ) -> Iterator[list[Row]]: ...

    def read_fold_rows(
        self,
        *,
        prefix: str = "",
        known_at: str | None = None,
        happened_by: date | None = None,
        streams: StreamRange = (None, None),
        upto: Any = None,
    ) -> Iterator[list[Row]]:
        """What folding needs of the streams starting with ``prefix``, grouped by stream
        in version order (``EventStore.read_fold_rows``): of the range ``streams`` of
        :meth:`stream_ranges` and the positions up to ``upto``, if given."""
        ...

    def last_position(self) -> Any:
        """The position of the last row, whatever it holds; None in an empty log."""
        ...

    def stream_ranges(self, parts: int) -> list[StreamRange]:
        """About ``parts`` ranges of streams of about as many events each, for worker
        processes to fold (``EventStore.stream_ranges``)."""
        ...

    def verify_chain(
        self,
        *,
        digest: ChainDigest | None = None,
        progress: Callable[[int], None] | None = None,
        jobs: int = 1,
    ) -> ChainCheck:
        """The hash chain and contiguity of the rows as stored, and the ``digest``'s
        head kept (``integrity.verify_chain``; ``jobs``: worker processes, where the
        log is in a database they can reach)."""
        ...

    def last_occurred(self, prefix: str) -> str | None:
        """The latest ``occurred_at`` of the streams starting with ``prefix``."""
        ...

    def send_command_reads(self, stream_id: str, key: str) -> Callable[[], CommandRead]: ...


class Session(EventLog, Protocol):
    """The log and the projection tables, in one transaction."""

    def send_reference_lookups(self, refs: Sequence[Reference]) -> Callable[[], list[Reference]]:
        """The references that name no stored actor, source or commitment."""
        ...

    def write_stream_rows(
        self, stream_id: str, rows: Rows, *, unchanged: tuple[str, ...] = ()
    ) -> None:
        """Replace the projection rows a stream owns, except in tables ``unchanged``."""
        ...

    def stored_states(self) -> Iterator[str]:
        """Each commitment's state as the projection keeps it, encoded."""
        ...

    def projected(self, name: str, owners: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The rows of projection table ``name`` (those of ``owners`` only, if given),
        in the order of their keys."""
        ...

    def take_claim(self, name: str, holder: str, ttl: float) -> bool:
        """Whether ``holder`` holds the lease ``name`` for ``ttl`` seconds from now: taken
        if free, expired or already its own (``lease.take``)."""
        ...

    def give_back(self, name: str, holder: str) -> None:
        """Free the lease ``name`` if ``holder`` holds it."""
        ...

    def projection_digests(self) -> dict[Key, int]:
        """A fingerprint of every projection row (``projection_sql.stored_digests``)."""
        ...

    def write_changed(self, batches: Iterable[Changed]) -> None:
        """Upsert these rows (table, values in table order), a few thousand at a time."""
        ...

    def delete_keys(self, keys: Iterable[Key]) -> None:
        """Delete the projection rows of these (table, key values)."""
        ...

    def owner_ids(self, name: str) -> list[str]:
        """The ids that own rows in projection table ``name``, in order."""
        ...

    def replace_rows(
        self, name: str, owners: Sequence[str], rows: Sequence[dict[str, Any]]
    ) -> None:
        """Delete what ``owners`` have in table ``name`` and write ``rows``: in bulk,
        for the import's thousands of commitments at once."""
        ...


class CommandTransaction(Protocol):
    """A command's write transaction, sent in batches (see ``db.Transaction``)."""

    def batch(self, *, commit: bool = False) -> AbstractContextManager[Session]: ...


class UnitOfWork(Protocol):
    def write(self) -> AbstractContextManager[Session]:
        """A transaction holding the write lock: committed if the block ends, rolled
        back, leaving nothing, if it raises."""
        ...

    def read(self) -> AbstractContextManager[Session]:
        """One consistent view of the log and the projections."""
        ...

    @property
    def chain(self) -> Chain:
        """The hash chain the log is linked with."""
        ...

    def run_command(self, body: Callable[[CommandTransaction], T]) -> T:
        """``body`` in one write transaction, committed by its ``commit=True`` batch."""
        ...

    def close(self) -> None: ...

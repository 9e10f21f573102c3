"""Verifying the event log as stored: the hash chain, contiguity, and a kept digest.

The chain is recomputed over the stored text of every row (before any upcasting), in
position order, one bounded batch at a time, so an audit of a log of any length runs
in constant memory except for one integer per stream (the last version seen). A long
log can be split into ranges of positions checked by worker processes, each seeded
with the stored hash of the row before it (:func:`verify_chain`'s ``jobs``).

After a broken link the check goes on from the stored hash, so that each tampered row
is reported at its own position rather than every row after it. Rows are hashed as
text, so no tampering can stop the check: a position or version that is not a number
(SQLite stores what it is given) is a contiguity finding like a gap.

A digest is only taken of a log whose chain verifies: a kept digest vouches for
everything before it, which a broken chain cannot.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from tracker.adapters.db import Database, Statement
from tracker.adapters.eventstore import EventStore, Row, format_ts, hashed_bytes
from tracker.adapters.hashing import GENESIS, Chain
from tracker.adapters.parallel import database_of, range_count, run_ranges
from tracker.clock import utc_now

DIGEST_FORMAT = "tracker-digest/v1"
MAX_FINDINGS = 50  # per kind; the count of the rest is still reported


class DigestError(ValueError):
    """A digest file that cannot be read or is not a tracker digest."""


class BrokenChain(Exception):
    """The log fails its chain or contiguity check, so no digest of it was taken."""

    def __init__(self, check: ChainCheck) -> None:
        found = check.chain if check.chain.total else check.contiguity
        first = found.items[0]
        problems = check.chain.total + check.contiguity.total
        message = (
            f"the event log fails its integrity check, so no digest was taken: position "
            f"{first.position}: {first.problem}"
        )
        if problems > 1:
            message += f" ({problems} problems in all)"
        if check.events and check.chain.total >= check.events:
            message += (
                "; every hash differs: is TRACKER_AUDIT_KEY set exactly as when the log "
                "was written (or unset if it was not)?"
            )
        super().__init__(message + "; `tracker audit` reports them all")
        self.check = check


@dataclass(frozen=True)
class ChainDigest:
    """The head of the log at one moment, to be kept where the database's writers
    cannot change it; a later log must still contain this exact row."""

    position: int
    hash: str
    keyed: bool
    taken_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": DIGEST_FORMAT,
            "position": self.position,
            "hash": self.hash,
            "keyed": self.keyed,
            "taken_at": self.taken_at,
        }

    @classmethod
    def load(cls, path: Path) -> ChainDigest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise DigestError(f"{path}: cannot read the digest: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise DigestError(f"{path}: not a JSON digest ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != DIGEST_FORMAT:
            raise DigestError(f"{path}: not a tracker digest (expected format {DIGEST_FORMAT!r})")
        position, hash_ = data.get("position"), data.get("hash")
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise DigestError(f"{path}: 'position' must be a whole number ≥ 0")
        if not (isinstance(hash_, str) and len(hash_) == 64):
            raise DigestError(f"{path}: 'hash' must be 64 hexadecimal digits")
        return cls(position, hash_, bool(data.get("keyed")), str(data.get("taken_at") or ""))


def digest_of(check: ChainCheck, keyed: bool) -> ChainDigest:
    """The head of a log whose every link verified (:class:`BrokenChain` otherwise), a
    ``keyed`` chain's or not."""
    if not check.ok:
        raise BrokenChain(check)
    return ChainDigest(check.head_position, check.head_hash, keyed, format_ts(utc_now()))


@dataclass
class Finding:
    position: int | None
    problem: str
    stream: str | None = None  # named when the problem is a row that cannot be read

    def to_dict(self) -> dict[str, Any]:
        if self.stream is None:
            return {"position": self.position, "problem": self.problem}
        return {"position": self.position, "stream": self.stream, "problem": self.problem}


@dataclass
class Findings:
    """Problems of one kind, the first :data:`MAX_FINDINGS` kept and the rest counted."""

    items: list[Finding] = field(default_factory=list)
    total: int = 0

    def add(self, position: int | None, problem: str, stream: str | None = None) -> None:
        self.total += 1
        if len(self.items) < MAX_FINDINGS:
            self.items.append(Finding(position, problem, stream))

    def extend(self, other: Findings) -> None:
        """Add ``other``'s findings after these: as if they had been found here."""
        for found in other.items:
            self.add(found.position, found.problem, found.stream)
        self.total += other.total - len(other.items)


@dataclass
class ChainCheck:
    events: int = 0
    head_position: int = 0
    head_hash: str = GENESIS
    chain: Findings = field(default_factory=Findings)
    contiguity: Findings = field(default_factory=Findings)
    digest: ChainDigest | None = None

    @property
    def ok(self) -> bool:
        return not (self.chain.total or self.contiguity.total)


def verify_chain(
    store: EventStore,
    conn: Connection,
    *,
    digest: ChainDigest | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 10_000,
    jobs: int = 1,
) -> ChainCheck:
    """Recompute every link, check positions 1..N and each stream's versions 1..n, and,
    given a digest, that the log still holds its head unchanged.

    Given more than one job, a long log is split into ranges of positions verified by
    that many worker processes, each connecting through ``conn``'s engine
    (:mod:`parallel`); the outcome is the one pass's, finding for finding.
    """
    count = store.count(conn) if jobs > 1 else 0
    db = database_of(conn)
    parts = range_count(db, jobs, count)
    if parts == 1:
        rows = store.read_range(conn, batch_size=batch_size)
        return verify_rows(store.chain, rows, digest=digest, progress=progress)
    shared = (store, digest, batch_size)
    walks = run_ranges(db, _walk_range, shared, _ranges(store, conn, parts, count), jobs)
    return _checked(walks, digest, progress)


def verify_rows(
    chain: Chain,
    batches: Iterable[Sequence[Row]],
    *,
    digest: ChainDigest | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChainCheck:
    """:func:`verify_chain` in one pass over ``batches``, the whole log's stored rows in
    position order, from wherever they are kept (the in-memory unit of work's too)."""
    return _checked([_walk(chain, batches, GENESIS, 0, digest, progress)], digest, None)


def _checked(
    walks: Iterable[_Walk], digest: ChainDigest | None, progress: Callable[[int], None] | None
) -> ChainCheck:
    result = ChainCheck(digest=digest)
    digest_seen = _merge(result, walks, progress)
    if digest is not None and digest.position > 0 and not digest_seen:
        result.chain.add(
            digest.position,
            f"the digest's head (position {digest.position}) is no longer in the log, "
            f"which ends at {result.head_position}: events were removed",
        )
    return result


@dataclass
class _Walk:
    """One range of the log verified on its own, seeded with the stored hash and the
    position of the row before it (:data:`GENESIS` and 0 for the first).

    Links, positions and every version but each stream's first in the range are judged
    here; whether that first version follows on from the ranges before is for
    :func:`_merge`, which knows them. The contiguity findings carry their place (row in
    the range, then 0 for the position and 1 for the version) so that those judged late
    fall in where one pass would have found them.
    """

    previous: str
    last_position: int
    events: int = 0
    chain: Findings = field(default_factory=Findings)
    contiguity: list[tuple[int, int, Finding]] = field(default_factory=list)  # the first few
    contiguity_total: int = 0
    firsts: list[tuple[int, int | None, str, int]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # each stream's last in the range
    digest_seen: bool = False

    def flag(self, row: int, part: int, position: int | None, problem: str) -> None:
        self.contiguity_total += 1
        if len(self.contiguity) < MAX_FINDINGS:
            self.contiguity.append((row, part, Finding(position, problem)))


def _walk(
    chain: Chain,
    batches: Iterable[Sequence[Row]],
    previous: str,
    last_position: int,
    digest: ChainDigest | None,
    progress: Callable[[int], None] | None,
) -> _Walk:
    walk = _Walk(previous, last_position)
    link, flag, found, versions = chain.link, walk.flag, walk.chain, walk.versions
    expected = last_position + 1
    index = 0
    for rows in batches:
        for row in rows:
            position, stream_id, version = row[0], row[1], row[2]
            at = position if type(position) is int else None
            if at is None:
                flag(index, 0, None, f"{stream_id} has an event at position {position!r}")
            elif position != expected:
                gap = f"{expected}" if position == expected + 1 else f"{expected}–{position - 1}"
                flag(index, 0, position, f"position(s) {gap} missing before {position}")
            if type(version) is not int:
                flag(index, 1, at, f"{stream_id} has an event at version {version!r}")
            else:
                last = versions.get(stream_id)
                if last is None:
                    walk.firsts.append((index, at, stream_id, version))
                elif version != last + 1:
                    flag(index, 1, at, _jump(stream_id, last, version))
                versions[stream_id] = version
            if link(previous, hashed_bytes(row)) != row[10]:
                found.add(
                    at,
                    f"hash does not match ({stream_id} version {version}, {row[3]}): "
                    "this row or the one before it was changed, removed or moved",
                )
            if digest is not None and at == digest.position:
                walk.digest_seen = True
                if row[10] != digest.hash:
                    found.add(at, "the digest's head was rewritten: its hash differs")
            previous = row[10]
            if at is not None:
                expected = at + 1
            index += 1
        walk.events += len(rows)
        if progress:
            progress(len(rows))
    walk.previous, walk.last_position = previous, expected - 1
    return walk


def _jump(stream_id: str, last: int, version: int) -> str:
    return f"{stream_id} jumps from version {last} to {version}"


def _merge(
    result: ChainCheck, walks: Iterable[_Walk], progress: Callable[[int], None] | None
) -> bool:
    """Fold the ranges' walks, in log order, into ``result`` as one pass would have
    found it; whether any of them met the digest's head."""
    last: dict[str, int] = {}
    digest_seen = False
    for walk in walks:
        late = [
            (row, 1, Finding(at, _jump(stream_id, last.get(stream_id, 0), version)))
            for row, at, stream_id, version in walk.firsts
            if version != last.get(stream_id, 0) + 1
        ]
        for _, _, found in sorted(walk.contiguity + late, key=lambda item: item[:2]):
            result.contiguity.add(found.position, found.problem)
        result.contiguity.total += walk.contiguity_total - len(walk.contiguity)
        result.chain.extend(walk.chain)
        last.update(walk.versions)
        result.events += walk.events
        result.head_position, result.head_hash = walk.last_position, walk.previous
        digest_seen = digest_seen or walk.digest_seen
        if progress:
            progress(walk.events)
    return digest_seen


_AT_OR_BEFORE = Statement(
    "SELECT position, hash FROM events WHERE position <= ? ORDER BY position DESC LIMIT 1"
)


def _ranges(
    store: EventStore, conn: Connection, parts: int, count: int
) -> list[tuple[int, Any, str]]:
    """About ``parts`` ranges of the log as ``(after, upto, seed)``: the positions
    ``after < position <= upto`` and the stored hash of the row at ``after``.

    Every range but the last ends at a row whose position is a whole number, so that
    the next one knows which position comes next. The last ends at the last row of this
    snapshot, whatever its position holds: what workers reading later snapshots of an
    append-only log see is this one's.
    """
    ranges: list[tuple[int, Any, str]] = []
    after, seed = 0, GENESIS
    for part in range(1, parts):
        found = _AT_OR_BEFORE.rows(conn, (count * part // parts,))
        if found and type(found[0][0]) is int and found[0][0] > after:
            ranges.append((after, found[0][0], seed))
            after, seed = found[0]
    ranges.append((after, store.last_position(conn), seed))
    return ranges


def _walk_range(
    db: Database, shared: tuple[EventStore, ChainDigest | None, int], task: Any
) -> _Walk:
    store, digest, batch_size = shared
    after, upto, seed = task
    with db.read() as conn:
        rows = store.read_range(conn, after=after, upto=upto, batch_size=batch_size)
        return _walk(store.chain, rows, seed, after, digest, None)

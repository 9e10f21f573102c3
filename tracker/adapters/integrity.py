"""Verifying the event log as stored: the hash chain, contiguity, and a kept digest.

The chain is recomputed over the stored text of every row (before any upcasting), in
position order, one bounded batch at a time, so an audit of a log of any length runs
in constant memory except for one integer per stream (the last version seen).

After a broken link the check goes on from the stored hash, so that each tampered row
is reported at its own position rather than every row after it. Rows are hashed as
text, so no tampering can stop the check: a position or version that is not a number
(SQLite stores what it is given) is a contiguity finding like a gap.

A digest is only taken of a log whose chain verifies: a kept digest vouches for
everything before it, which a broken chain cannot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from tracker.adapters.eventstore import EventStore, format_ts, hashed_bytes
from tracker.adapters.hashing import GENESIS
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
class Digest:
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
    def load(cls, path: Path) -> Digest:
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


def take_digest(
    store: EventStore, conn: Connection, *, progress: Callable[[int], None] | None = None
) -> Digest:
    """The head of a log whose every link verifies (:class:`BrokenChain` otherwise)."""
    check = verify_chain(store, conn, progress=progress)
    if not check.ok:
        raise BrokenChain(check)
    return Digest(check.head_position, check.head_hash, store.chain.keyed, format_ts(utc_now()))


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


@dataclass
class ChainCheck:
    events: int = 0
    head_position: int = 0
    head_hash: str = GENESIS
    chain: Findings = field(default_factory=Findings)
    contiguity: Findings = field(default_factory=Findings)
    digest: Digest | None = None

    @property
    def ok(self) -> bool:
        return not (self.chain.total or self.contiguity.total)


def verify_chain(
    store: EventStore,
    conn: Connection,
    *,
    digest: Digest | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 10_000,
) -> ChainCheck:
    """Recompute every link, check positions 1..N and each stream's versions 1..n, and,
    given a digest, that the log still holds its head unchanged."""
    result = ChainCheck(digest=digest)
    link = store.chain.link
    chain, contiguity = result.chain, result.contiguity
    previous, expected = GENESIS, 1
    versions: dict[str, int] = {}
    digest_seen = False
    for rows in store.read_raw(conn, batch_size=batch_size):
        for row in rows:
            position, stream_id, version = row[0], row[1], row[2]
            at = position if type(position) is int else None
            if at is None:
                contiguity.add(None, f"{stream_id} has an event at position {position!r}")
            elif position != expected:
                gap = f"{expected}" if position == expected + 1 else f"{expected}–{position - 1}"
                contiguity.add(position, f"position(s) {gap} missing before {position}")
            if type(version) is not int:
                contiguity.add(at, f"{stream_id} has an event at version {version!r}")
            else:
                last = versions.get(stream_id, 0)
                if version != last + 1:
                    contiguity.add(at, f"{stream_id} jumps from version {last} to {version}")
                versions[stream_id] = version
            if link(previous, hashed_bytes(row)) != row[10]:
                chain.add(
                    at,
                    f"hash does not match ({stream_id} version {version}, {row[3]}): "
                    "this row or the one before it was changed, removed or moved",
                )
            if digest is not None and at == digest.position:
                digest_seen = True
                if row[10] != digest.hash:
                    chain.add(at, "the digest's head was rewritten: its hash differs")
            previous = row[10]
            if at is not None:
                expected = at + 1
        result.events += len(rows)
        if progress:
            progress(len(rows))
    result.head_position, result.head_hash = expected - 1, previous
    if digest is not None and digest.position > 0 and not digest_seen:
        chain.add(
            digest.position,
            f"the digest's head (position {digest.position}) is no longer in the log, "
            f"which ends at {result.head_position}: events were removed",
        )
    return result

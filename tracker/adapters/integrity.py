"""Verifying the event log as stored: the hash chain, contiguity, and a kept digest.

The chain is recomputed over the stored text of every row (before any upcasting), in
position order, one bounded batch at a time, so an audit of a log of any length runs
in constant memory except for one integer per stream (the last version seen).

After a broken link the check goes on from the stored hash, so that each tampered row
is reported at its own position rather than every row after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from tracker.adapters.eventstore import EventStore, format_ts, utc_now
from tracker.adapters.hashing import GENESIS, canonical_row

DIGEST_FORMAT = "tracker-digest/v1"
MAX_FINDINGS = 50  # per kind; the count of the rest is still reported


class DigestError(ValueError):
    """A digest file that cannot be read or is not a tracker digest."""


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


def take_digest(store: EventStore, conn: Connection) -> Digest:
    position, hash_ = store.head(conn)
    return Digest(position, hash_, store.chain.keyed, format_ts(utc_now()))


@dataclass
class Finding:
    position: int | None
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "problem": self.problem}


@dataclass
class Findings:
    """Problems of one kind, the first :data:`MAX_FINDINGS` kept and the rest counted."""

    items: list[Finding] = field(default_factory=list)
    total: int = 0

    def add(self, position: int | None, problem: str) -> None:
        self.total += 1
        if len(self.items) < MAX_FINDINGS:
            self.items.append(Finding(position, problem))


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
            if position != expected:
                gap = f"{expected}" if position == expected + 1 else f"{expected}–{position - 1}"
                contiguity.add(position, f"position(s) {gap} missing before {position}")
            last = versions.get(stream_id, 0)
            if version != last + 1:
                contiguity.add(
                    position,
                    f"{stream_id} jumps from version {last} to {version}",
                )
            versions[stream_id] = version
            if link(previous, canonical_row(*row[:10])) != row[10]:
                chain.add(
                    position,
                    f"hash does not match ({stream_id} version {version}, {row[3]}): "
                    "this row or the one before it was changed, removed or moved",
                )
            if digest is not None and position == digest.position:
                digest_seen = True
                if row[10] != digest.hash:
                    chain.add(position, "the digest's head was rewritten: its hash differs")
            previous, expected = row[10], position + 1
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

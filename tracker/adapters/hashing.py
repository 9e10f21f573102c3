"""The tamper-evident chain over the event log.

Each event's hash covers the previous hash and the event's canonical row, so
changing, removing or reordering any row breaks every hash after it. Anyone who can
write the database could recompute a plain SHA-256 chain; that is why the audit can
check the head against a digest kept elsewhere, and why ``TRACKER_AUDIT_KEY`` turns
the chain into an HMAC that cannot be recomputed without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from tracker.config import AUDIT_KEY_ENV

GENESIS = "0" * 64
_SEP = "\x1f"


# One encoder for every call: json.dumps would build a new one each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Mapping[str, Any] | list[Any]) -> str:
    return _CANONICAL.encode(value)


def canonical_row(
    position: int,
    stream_id: str,
    version: int,
    type_: str,
    schema_version: int,
    data: str,
    meta: str,
    occurred_at: str,
    recorded_at: str,
    idempotency_key: str | None,
    db_user: str | None = None,
) -> bytes:
    """The bytes an event's hash covers.

    ``db_user`` is added only when there is one (PostgreSQL, from schema 0002 on), so
    every row written before it existed, and every SQLite row, hashes as it always did.
    """
    fields: tuple[str, ...] = (
        str(position),
        stream_id,
        str(version),
        type_,
        str(schema_version),
        data,
        meta,
        occurred_at,
        recorded_at,
        idempotency_key or "",
    )
    if db_user is not None:
        fields += (db_user,)
    return _SEP.join(fields).encode()


class Chain:
    """Computes link hashes, keyed or not."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Chain:
        value = (os.environ if env is None else env).get(AUDIT_KEY_ENV)
        return cls(value.encode() if value else None)

    @property
    def keyed(self) -> bool:
        return self._key is not None

    def link(self, previous: str, row: bytes) -> str:
        payload = previous.encode() + row
        if self._key is None:
            return hashlib.sha256(payload).hexdigest()
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

"""Stored events back into the file's form: what export writes and import compares.

Import and export share these so that ``import -> export -> import`` is lossless by
construction: an entry already in the log is recognised by turning the stored event
back into its file form and comparing it with the file's entry. A history entry's
form is the event's own (``events.history_entry``); the commitment's header and its
first follow-ups are written here.
"""

from __future__ import annotations

from typing import Any

from tracker.domain.deadlines import due_form
from tracker.service_layer.fileformat.commitments import COMMITMENT_KEYS, FOLLOW_UP_KEYS
from tracker.service_layer.fileformat.rules import unique


def clean(d: dict[str, Any]) -> dict[str, Any]:
    """The file form leaves out what is empty, as a person writing it would."""
    return {k: v for k, v in d.items() if v not in (None, [], "")}


def header_form(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in COMMITMENT_KEYS[:11]}
    out["due"] = due_form(data.get("due"))
    for key in ("made_by", "made_to", "tags"):  # repeats recorded before they were dropped
        if repeated := out[key]:
            out[key] = unique(repeated)
    return clean(out)


def follow_up_form(data: dict[str, Any]) -> dict[str, Any]:
    return clean({k: data.get(k) for k in FOLLOW_UP_KEYS})

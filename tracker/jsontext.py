"""JSON text that stays one line for every reader.

``json`` leaves U+2028, U+2029 and U+0085 unescaped with ``ensure_ascii=False``, and
some readers (JavaScript's, editors', ``str.splitlines``) break lines there: a title
holding one would split a JSON Lines record in two. Every JSON the tracker writes for
people or scripts goes through here.
"""

from __future__ import annotations

import json
from typing import Any

_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"})


def escape_line_breaks(text: str) -> str:
    """JSON text with U+2028, U+2029 and U+0085 escaped (they only occur inside its
    strings); scanned first, as translating megabytes costs more than the encoding."""
    if "\u2028" in text or "\u2029" in text or "\u0085" in text:
        return text.translate(_LINE_BREAKS)
    return text


# The encoder of every listing's rows: one line each (json's C encoder does not indent).
encode_row = json.JSONEncoder(ensure_ascii=False).encode


def listing(lines: list[str], fmt: str) -> str:
    """Rows already encoded one a line, as a listing's ``json`` (an array, a row per
    line) or ``jsonl`` text: the one place both shapes are made, so that a listing
    written from stored row text is the same bytes as one encoded from dicts."""
    if fmt == "jsonl":
        text = "".join(line + "\n" for line in lines)
    else:
        text = "[\n  " + ",\n  ".join(lines) + "\n]\n" if lines else "[]\n"
    return escape_line_breaks(text)


def json_line(value: Any, **options: Any) -> str:
    """``value`` as JSON (UTF-8 kept readable) that no reader can split."""
    return escape_line_breaks(json.dumps(value, ensure_ascii=False, **options))

"""The geometry of the site's drawings: a commitment's timeline, the trend, the meter.

Coordinates are computed here and the templates only place them, so the drawings
need no script and no library in the reader's browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tracker.domain.statuses import Status

WIDTH = 720
LEFT = 90  # room for the row labels
RIGHT = 20
HAPPENED_Y = 46
RECORDED_Y = 96


@dataclass(frozen=True)
class Scale:
    """Days onto x, from ``first`` (at LEFT) to ``last`` (at WIDTH - RIGHT)."""

    first: date
    last: date

    def x(self, day: date) -> float:
        span = max(1, (self.last - self.first).days)
        return round(LEFT + (day - self.first).days * (WIDTH - LEFT - RIGHT) / span, 1)


def timeline(item: dict[str, Any]) -> dict[str, Any]:
    """Marks for each entry on the day it happened and the day it was recorded, joined
    by a line, over the deadline window drawn as a band."""
    entries = item["timeline"]
    happened = [date.fromisoformat(e["on"]) for e in entries]
    recorded = [date.fromisoformat(e["recorded_at"][:10]) for e in entries]
    due = item["due"]
    window = (date.fromisoformat(due["start"]), date.fromisoformat(due["end"])) if due else None
    days = [*happened, *recorded, *(window or ())]
    first, last = min(days), max(days)
    pad = timedelta(days=max(1, (last - first).days // 20))
    scale = Scale(first - pad, last + pad)
    band = None
    if window:
        start, end = scale.x(window[0]), scale.x(window[1] + timedelta(days=1))
        band = {"x": start, "width": round(max(2.0, end - start), 1), "label": due["label"]}
    marks = [
        {
            "entry": e["entry"],
            "kind": e["kind"],
            "happened_x": scale.x(on),
            "recorded_x": scale.x(at),
            "on": e["on"],
            "recorded_at": e["recorded_at"],
            "retracted": e["retracted"],
        }
        for e, on, at in zip(entries, happened, recorded, strict=True)
    ]
    ticks = [{"x": scale.x(d), "label": d.isoformat()} for d in (first, last)]
    return {
        "width": WIDTH,
        "height": RECORDED_Y + 34,
        "left": LEFT,
        "happened_y": HAPPENED_Y,
        "recorded_y": RECORDED_Y,
        "band": band,
        "marks": marks,
        "ticks": ticks,
    }


TREND_HEIGHT = 160


def trend(ends: Sequence[date], counts: Sequence[dict[Status, int]]) -> dict[str, Any]:
    """One stacked bar per month: the commitments in each status at the month's end."""
    months = len(ends)
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(1, months)
    bar = round(max(1.0, min(36.0, step * 0.8)), 1)
    top = max((sum(c.values()) for c in counts), default=0) or 1
    bars: list[dict[str, Any]] = []
    for i, (end, count) in enumerate(zip(ends, counts, strict=True)):
        x = round(LEFT + i * step + (step - bar) / 2, 1)
        y = float(TREND_HEIGHT)
        parts = []
        for status in Status:
            n = count[status]
            if not n:
                continue
            h = n * TREND_HEIGHT / top
            y -= h
            parts.append({"status": status.value, "n": n, "y": round(y, 1), "height": round(h, 1)})
        bars.append({"x": x, "end": end.isoformat(), "total": sum(count.values()), "parts": parts})
    labels = [bars[0], bars[-1]] if len(bars) > 1 else bars
    return {
        "width": WIDTH,
        "height": TREND_HEIGHT + 30,
        "plot_height": TREND_HEIGHT,
        "left": LEFT,
        "bar": bar,
        "top": top,
        "bars": bars,
        "labels": [{"x": b["x"] + bar / 2, "end": b["end"]} for b in labels],
    }


def meter(shares: dict[str, float]) -> list[dict[str, Any]]:
    """Segments of a 100-wide bar, one per status with a share."""
    out, x = [], 0.0
    for status in Status:
        share = shares[status.value]
        if share:
            out.append({"status": status.value, "x": round(x, 2), "width": share})
            x += share
    return out

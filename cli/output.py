"""One set of output options for every listing command, after sqlite-utils' ``output_options``.

Tables for people, ``json``/``jsonl``/``csv``/``markdown`` for scripts. On a terminal a
table fits the screen: key columns (ids, dates, statuses, numbers) keep their whole
width and never wrap, text columns (titles, tasks, names) are cut with "…" to the
width left, or wrapped at word boundaries with ``--wide``; piped, every cell is whole.
Output longer than the screen goes through a pager, as git does. Colour and progress
bars appear only on a terminal, and never with ``NO_COLOR`` set.

The table is written here rather than by rich's ``Table``: rich measures and lays out
every cell of every row, which on 20k rows costs tens of seconds; here widths are
measured once per column and each style's ANSI codes are computed once.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from functools import cache, update_wrapper
from typing import Any, TextIO

import click

from tracker.jsontext import encode_row, listing

FORMATS = ("table", "json", "jsonl", "csv", "markdown")
KEY = "key"  # never shrinks nor wraps: ids, dates, statuses, numbers
TEXT = "text"  # cut with "…" to the width left, or wrapped with --wide
ELLIPSIS = "…"
GAP = "  "
USEFUL = 8  # the narrowest a cut text column is still worth showing
# Testing seam: set to 1 to treat stdout and stderr as terminals (tables fitted and
# coloured, progress shown), as tests cannot give click's runner a real terminal.
FORCE_TERMINAL_ENV = "TRACKER_FORCE_TERMINAL"
EMPTY_HINT = "No commitments yet. Start with `tracker demo` or `tracker import FILE`."


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """One column of a listing; ``kind`` says whether it may shrink (TEXT) or not (KEY)."""

    key: str
    header: str
    render: Callable[[Any], str] = _text
    style: Callable[[dict[str, Any]], str | None] | None = None
    kind: str = KEY
    priority: int = 0  # columns hidden to fit go lowest priority first
    optional: bool = False  # a KEY column that may be hidden, after the TEXT ones, to fit


@dataclass
class Display:
    """Where a listing's standard output goes, decided once per command."""

    terminal: bool
    colour: bool
    width: int
    wide: bool = False


_display: Display | None = None


def is_terminal(stream: TextIO) -> bool:
    if os.environ.get(FORCE_TERMINAL_ENV) == "1":
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def colour_allowed(stream: TextIO) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set to anything (no-color.org)."""
    return is_terminal(stream) and not os.environ.get("NO_COLOR")


def terminal_width() -> int:
    """The terminal's width; ``$COLUMNS`` wins, as ``shutil.get_terminal_size`` lets it."""
    return max(shutil.get_terminal_size().columns, 20)


def current_display(stream: TextIO | None = None) -> Display:
    stream = stream or sys.stdout
    if _display is not None and stream is sys.stdout:
        return _display
    return Display(is_terminal(stream), colour_allowed(stream), terminal_width())


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--format``, ``--wide`` and ``--no-pager``, for every command that lists."""
    fn = click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json, jsonl (one object a line), csv or markdown for "
        "scripts and documents. CSV cells that start with = + - @, a tab or a carriage "
        "return get a leading ' so that spreadsheets do not run them as formulas.",
    )(fn)
    fn = click.option(
        "--wide",
        is_flag=True,
        help="On a terminal, show long text whole, wrapped at word boundaries, instead "
        "of cutting it with … to fit one line.",
    )(fn)
    return pager_option(fn, wide_option=True)


def pager_option(fn: Callable[..., Any], *, wide_option: bool = False) -> Callable[..., Any]:
    """``--no-pager``; output longer than the screen otherwise goes through the pager."""
    wrapped = fn

    def command(*args: Any, no_pager: bool, **kwargs: Any) -> Any:
        wide = kwargs.pop("wide") if wide_option else False
        with paged(not no_pager, wide=wide):
            return wrapped(*args, **kwargs)

    command = update_wrapper(command, fn)
    return click.option(
        "--no-pager",
        is_flag=True,
        help="Never page. Otherwise output longer than the terminal goes through "
        "$TRACKER_PAGER, else $PAGER, else `less -FRX` (empty or cat: no pager).",
    )(command)


def pager_command() -> str | None:
    """The pager to run, as git chooses it: $TRACKER_PAGER, $PAGER, else less -FRX.

    A command and its arguments, split as a shell would (no pipelines): one that cannot
    be started leaves the output on the terminal, unpaged.
    """
    for name in ("TRACKER_PAGER", "PAGER"):
        if name in os.environ:
            chosen = os.environ[name].strip()
            break
    else:
        chosen = "less -FRX"
    return None if chosen in ("", "cat") else chosen


@contextmanager
def showing(display: Display) -> Iterator[None]:
    """Write standard output as for ``display``, whatever sys.stdout is: the pager's
    buffer, or a benchmark's fake terminal."""
    global _display
    before, _display = _display, display
    try:
        yield
    finally:
        _display = before


@contextmanager
def paged(allowed: bool, *, wide: bool = False) -> Iterator[None]:
    """Collect standard output, then page it if it is taller than the terminal.

    Only when stdout really is a terminal: piped output is never paged nor held back.
    """
    real = sys.stdout
    display = Display(is_terminal(real), colour_allowed(real), terminal_width(), wide)
    command = pager_command() if allowed and real.isatty() else None
    with showing(display):
        if command is None:
            yield
            return
        buffer = io.StringIO()
        try:
            with redirect_stdout(buffer):
                yield
        finally:  # a command that ends with exit status 1 (audit) is paged too
            text = buffer.getvalue()
            if text.count("\n") < shutil.get_terminal_size().lines or not _page(command, text):
                real.write(text)


def _page(command: str, text: str) -> bool:
    """Run the pager on ``text``; False if it could not be started."""
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        pager = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, env=env)
    except (OSError, ValueError):
        return False
    assert pager.stdin is not None
    try:
        pager.stdin.write(text.encode("utf-8"))
        pager.stdin.close()
    except BrokenPipeError:  # the reader quit the pager early
        pass
    while True:
        try:
            pager.wait()
            return True
        except KeyboardInterrupt:  # Ctrl-C is the pager's to handle, as under git
            continue


# --- formats -------------------------------------------------------------------------


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(raw: Any, text: str) -> str:
    """A cell spreadsheets will not run as a formula: text starting with = + - @ TAB CR
    gets a leading quote (OWASP's advice); numbers, negative ones included, stay numbers."""
    if text.startswith(_FORMULA_STARTS) and not isinstance(raw, int | float):
        return "'" + text
    return text


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
    empty: str | None = None,
) -> None:
    """Write ``rows`` in ``fmt``. ``empty``: for a table, a hint on stderr instead of a
    bare header when there are no rows."""
    out = out or sys.stdout
    if fmt in ("json", "jsonl"):
        # One row per line: as readable as indenting, and json's C encoder writes it
        # (it does not indent), which matters for thousands of rows.
        out.write(listing([encode_row(r) for r in rows], fmt))
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        writer.writerows(
            [[csv_cell(r.get(c.key), c.render(r.get(c.key))) for c in columns] for r in rows]
        )
    elif fmt == "markdown":
        out.write("| " + " | ".join(c.header for c in columns) + " |\n")
        out.write("|" + "|".join(" --- " for _ in columns) + "|\n")
        for r in rows:
            cells = [c.render(r.get(c.key)).replace("|", "\\|").replace("\n", " ") for c in columns]
            out.write("| " + " | ".join(cells) + " |\n")
    elif not rows and empty:
        click.echo(empty, err=True)
    else:
        display = current_display(out)
        if display.terminal:
            out.write(fitted_table(rows, columns, display, title))
        else:
            _plain_table(rows, columns, out)


def _plain_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], out: TextIO) -> None:
    cells = [[c.header for c in columns]]
    cells += [[c.render(r.get(c.key)).replace("\n", " ") for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


# --- the terminal table --------------------------------------------------------------


def cell_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (wide East Asian characters take two)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns, its end replaced by "…" if it is cut."""
    if cell_width(text) <= width:
        return text
    if width <= 0:
        return ""
    if text.isascii():
        return text[: width - 1].rstrip() + ELLIPSIS
    from rich.cells import set_cell_size

    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_width(text))


def layout(
    columns: Sequence[Column],
    naturals: Sequence[int],
    floors: Sequence[int],
    width: int,
    wide: bool,
) -> tuple[list[tuple[int, int]], list[int]]:
    """Which columns to show, how wide, within ``width``; and which are hidden.

    KEY columns keep their natural width. TEXT columns start at their ``floor`` (a
    useful width; with ``--wide``, their longest word) and share what is left, the
    narrow ones whole first. Cut to one line, a text column that has no room for its
    floor is hidden, the lowest ``priority`` first, then the ``optional`` KEY columns;
    with ``--wide`` every column stays, and if the floors do not fit, text wraps in
    whatever width is left. Keys still wider than the screen: the last KEY columns that
    do not fit whole are hidden, never cut, so no id, date or header breaks mid-word.
    """
    squeezed = False

    def minimum(i: int) -> int:
        if columns[i].kind != TEXT:
            return naturals[i]
        return min(naturals[i], 3 if squeezed else floors[i])

    def need(keep: list[int]) -> int:
        return sum(map(minimum, keep)) + len(GAP) * (len(keep) - 1)

    keep = list(range(len(columns)))
    hidden: list[int] = []
    squeezed = wide and need(keep) > width
    if not wide:
        droppable = sorted(
            (i for i in keep if columns[i].kind == TEXT or columns[i].optional),
            key=lambda i: (columns[i].kind != TEXT, columns[i].priority, -i),
        )
        while need(keep) > width and droppable:
            hidden.append(droppable.pop(0))
            keep.remove(hidden[-1])
    widths = {i: minimum(i) for i in keep}
    extra = width - need(keep)
    for i in keep:  # first, room to spare puts headers on one line
        add = min(max(extra, 0), max(cell_width(columns[i].header) - widths[i], 0))
        widths[i] += add
        extra -= add
    text = sorted((i for i in keep if columns[i].kind == TEXT), key=lambda i: naturals[i])
    for n, i in enumerate(text):
        add = max(min(naturals[i] - widths[i], max(extra, 0) // (len(text) - n)), 0)
        widths[i] += add
        extra -= add
    shown: list[tuple[int, int]] = []
    used = 0
    for i in keep:
        room = width - used - (len(GAP) if shown else 0)
        if room < 2 or (shown and columns[i].kind != TEXT and room < widths[i]):
            hidden.append(i)
            continue
        shown.append((i, min(widths[i], room)))
        used += (len(GAP) if len(shown) > 1 else 0) + shown[-1][1]
    return shown, sorted(hidden)


@cache
def _ansi(style: str) -> tuple[str, str]:
    """The escape codes that open and close ``style`` (a rich style such as "bold red")."""
    from rich.color import ColorSystem
    from rich.style import Style

    opened = Style.parse(style).render("\0", color_system=ColorSystem.STANDARD)
    start, _, end = opened.partition("\0")
    return start, end


def fitted_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    display: Display,
    title: str | None = None,
) -> str:
    """The table for a terminal, no line wider than ``display.width``."""
    cells = [[c.render(r.get(c.key)).replace("\n", " ") for r in rows] for c in columns]
    # Measured once, inline: a call per cell is a tenth of the whole table's time.
    sizes = [[len(v) if v.isascii() else cell_width(v) for v in values] for values in cells]
    heads = [max((cell_width(w) for w in c.header.split()), default=0) for c in columns]
    naturals = [max(max(s, default=0), h) for s, h in zip(sizes, heads, strict=True)]
    floors = [
        max(head, max((len(w) for v in values for w in v.split()), default=0))
        if display.wide and c.kind == TEXT
        else max(head, USEFUL)
        for c, values, head in zip(columns, cells, heads, strict=True)
    ]
    shown, hidden = layout(columns, naturals, floors, display.width, display.wide)
    colour = display.colour
    lines: list[str] = []
    if title:
        lines.append(_styled(cut(title, display.width), "bold", colour))
    headers = [textwrap.wrap(columns[i].header, w) or [""] for i, w in shown]
    for n in range(max(map(len, headers))):
        labels = [
            _pad(cut(h[n] if n < len(h) else "", w), w)
            for h, (_, w) in zip(headers, shown, strict=True)
        ]
        lines.append(_styled(GAP.join(labels).rstrip(), "bold", colour))
    lines.append(GAP.join("─" * w for _, w in shown))
    plan = [
        (cells[i], sizes[i], w, columns[i].style if colour else None, columns[i].kind == TEXT)
        for i, w in shown
    ]
    wrap = display.wide
    for r, row in enumerate(rows):
        parts: list[str] = []
        tall: list[list[str]] | None = None
        for n, (values, measured, w, style, text) in enumerate(plan):
            value, size = values[r], measured[r]
            if size > w:
                if wrap and text:
                    tall = tall or [[] for _ in plan]
                    value, *tall[n] = textwrap.wrap(value, w, break_on_hyphens=False)
                else:
                    value = cut(value, w)
                size = cell_width(value)
            cell = value + " " * (w - size)
            if style is not None and value and (name := style(row)):
                start, end = _ansi(name)
                cell = start + cell + end
            parts.append(cell)
        lines.append(GAP.join(parts).rstrip())
        if tall:  # --wide: the rest of wrapped cells, under their column
            for k in range(max(map(len, tall))):
                more = [
                    _pad(t[k] if k < len(t) else "", w)
                    for t, (_, _, w, _, _) in zip(tall, plan, strict=True)
                ]
                lines.append(GAP.join(more).rstrip())
    if hidden:
        names = ", ".join(columns[i].header for i in hidden)
        note = f"not shown at {display.width} columns: {names} (--wide shows every column)"
        lines.append(_styled(cut(note, display.width), "dim", colour))
    return "\n".join(lines) + "\n"


_WRAPPED_IN_STYLE = re.compile(r"^(\x1b\[[0-9;]*m)(.*)(\x1b\[0m)$")
_LABEL = re.compile(r"^(\s*\S.*?\s{2,})\S")


def fit_lines(text: str, width: int) -> str:
    """Lines longer than ``width`` wrapped at word boundaries, their continuation
    indented under the line's own text; a line's colour is kept on every piece."""
    out = []
    for line in text.split("\n"):
        styled = _WRAPPED_IN_STYLE.match(line)
        start, plain, end = styled.groups() if styled else ("", line, "")
        if cell_width(plain) <= width:
            out.append(line)
            continue
        # Under the line's value ("  status        …"), else a little in from its start.
        label = _LABEL.match(plain)
        hang = len(label.group(1)) if label else 0
        if not 0 < hang <= width // 2:
            hang = len(plain) - len(plain.lstrip()) + 4
        indent = " " * hang
        pieces = textwrap.wrap(plain, width, subsequent_indent=indent, break_on_hyphens=False)
        out += [start + piece + end for piece in pieces]
    return "\n".join(out)


@contextmanager
def fitted_lines() -> Iterator[None]:
    """On a terminal, what is written inside wraps to its width at word boundaries
    (so that ids and dates are never split by the terminal); piped, it is untouched."""
    display = current_display()
    if not display.terminal:
        yield
        return
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        yield
    sys.stdout.write(fit_lines(buffer.getvalue(), display.width))


def _styled(text: str, style: str | None, colour: bool) -> str:
    if not (style and colour and text.strip()):
        return text
    start, end = _ansi(style)
    return start + text + end


def echo_styled(text: str, style: str | None = None, *, err: bool = False) -> None:
    """A line with colour only when it goes to a terminal and NO_COLOR is not set."""
    stream = sys.stderr if err else sys.stdout
    colour = colour_allowed(stream) if err else current_display().colour
    if style and colour:
        click.echo(_styled(text, style, True), err=err, color=True)
    else:
        click.echo(text, err=err, color=False)


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal's stderr; silent when piped.

    Without a total (work whose size is not known yet) it is a spinner.
    """
    if not is_terminal(sys.stderr) or total == 0:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(
        file=sys.stderr, force_terminal=True, no_color=bool(os.environ.get("NO_COLOR"))
    )
    parts = (
        (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        if total is None
        else (*Progress.get_default_columns(),)
    )
    with Progress(*parts, transient=True, console=console) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)

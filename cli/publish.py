"""`tracker publish DIR`: the static site people read, with its calendar and feed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from .context import AppContext, fail, handle_errors, pass_app
from .params import time_options

_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _URL.match(value):
        raise click.BadParameter(
            f"{value!r} is not an http(s) URL, e.g. https://example.org/pledges"
        )
    return value


def _title(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise click.BadParameter("the title must be one line of text")
    return value.strip()


@click.command()
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@time_options
@click.option(
    "--title",
    default="Commitments tracker",
    show_default=True,
    callback=_title,
    help="The site's title, on every page, in the feed and the calendar.",
)
@click.option(
    "--base-url",
    metavar="URL",
    callback=_base_url,
    help="Where the site will be served: makes the feed's and calendar's links absolute.",
)
@pass_app
@handle_errors
def publish(
    app: AppContext,
    directory: Path,
    as_of: Any,
    known_at: Any,
    title: str,
    base_url: str | None,
) -> None:
    """Write a static site of the tracker to DIR: pages, calendar.ics and feed.atom.

    index.html shows the meter of every status, what is overdue, the deadlines of the
    next weeks, the month-by-month trend and the scorecard per actor and per tag;
    each commitment and each actor gets a page. No script, nothing from the network.

    The site is written beside DIR and renamed into place, so a web server never
    serves half of it. DIR must be new, empty, or a site published before: a DIR
    holding files the tracker did not write is refused (exit 2, nothing touched).

    \b
    Examples:
      tracker publish site/
      tracker publish /var/www/pledges --title "Pledges" --base-url https://example.org/pledges
      tracker publish site-2024-02-11/ --as-of 2024-02-11
    """
    from tracker.service_layer.publish import publish as publish_site
    from tracker.service_layer.publish.writing import PublishRefused
    from tracker.service_layer.queries import View

    view = View(as_of=as_of, known_at=known_at)
    try:
        done = publish_site(app.tracker, directory, view, title=title, base_url=base_url)
    except PublishRefused as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the site to {directory}: {exc.strerror or exc}; DIR was left as it was")
    click.echo(
        f"{done.directory}: published {done.commitments} commitments as of "
        f"{view.day.isoformat()} ({done.files} files); open {done.directory / 'index.html'}"
    )

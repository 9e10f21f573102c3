"""Putting a site in place so that a web server never serves half of it.

The site is written to a temporary folder beside DIR, then renamed into place: an
earlier site is renamed aside first and removed once the new one stands, so the
gap is two renames long. DIR holds a manifest listing what the tracker wrote there;
a DIR with anything else in it (someone's own files, the wrong folder typed) is
refused before anything is touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

MANIFEST = ".tracker-site"
_HEADER = "# Written by `tracker publish`; every file it wrote here, one a line.\n"


class PublishRefused(ValueError):
    """DIR cannot take the site; the message says why and what is in the way."""


def _listing(directory: Path) -> set[str]:
    """Every file, folder and link under ``directory``, relative to it; links are not
    followed (a link to elsewhere is itself something the tracker did not write)."""
    found = set()
    for root, folders, names in os.walk(directory):
        for name in [*folders, *names]:
            found.add((Path(root) / name).relative_to(directory).as_posix())
    return found


def check_target(directory: Path) -> None:
    """Refuse a DIR the tracker did not write: anything but an empty folder or one
    whose every file is in its manifest."""
    if not directory.parent.is_dir():
        raise PublishRefused(
            f"cannot publish to {directory}: {directory.parent} is not a directory"
        )
    if not directory.exists() and not directory.is_symlink():
        return
    if directory.is_symlink() or not directory.is_dir():
        raise PublishRefused(
            f"cannot publish to {directory}: it is not a directory the tracker wrote "
            "(a file or a link); choose another DIR"
        )
    present = _listing(directory)
    if not present:
        return
    manifest = directory / MANIFEST
    if MANIFEST not in present or not manifest.is_file():
        raise PublishRefused(
            f"cannot publish to {directory}: it holds files the tracker did not write "
            f"(no {MANIFEST} manifest; e.g. {', '.join(sorted(present)[:3])}); "
            "nothing was touched. Publish to an empty or new directory"
        )
    written = {
        line
        for line in manifest.read_text(encoding="utf-8").splitlines()
        if line and line[0] != "#"
    }
    folders = {parent.as_posix() for p in written for parent in Path(p).parents}
    foreign = sorted(present - written - folders - {MANIFEST})
    if foreign:
        raise PublishRefused(
            f"cannot publish to {directory}: it holds files the tracker did not write "
            f"({', '.join(foreign[:5])}{', …' if len(foreign) > 5 else ''}); nothing was "
            "touched. Move them elsewhere, or publish to another directory"
        )


def write_site(directory: Path, site: Iterable[tuple[str, bytes]]) -> int:
    """Write the files of ``site`` to a folder beside ``directory`` and rename it into
    place; returns how many files were written. Raises :class:`PublishRefused` (with
    nothing touched) for a ``directory`` the tracker did not write."""
    directory = Path(os.path.abspath(directory))
    check_target(directory)
    new = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.new-"))
    old: Path | None = None
    try:
        names = []
        folders = {new}
        for name, content in site:
            path = new / name
            if path.parent not in folders:  # once per folder, not per file
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            path.write_bytes(content)
            names.append(name)
        (new / MANIFEST).write_text(_HEADER + "".join(f"{n}\n" for n in sorted(names)), "utf-8")
        _readable(new, directory)
        if directory.exists():
            old = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.old-"))
            os.rename(directory, old / "site")
        os.rename(new, directory)
    except BaseException:
        with contextlib.suppress(OSError):
            if old is not None and (old / "site").exists() and not directory.exists():
                os.rename(old / "site", directory)  # the earlier site back in place
        shutil.rmtree(new, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return len(names)


def _readable(new: Path, directory: Path) -> None:
    """mkdtemp makes a private folder; a site is for a web server to read, so it gets
    the earlier DIR's mode, else what a plain mkdir would give."""
    try:
        mode = directory.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o777 & ~umask
    os.chmod(new, mode)

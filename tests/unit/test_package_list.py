"""Every package of the source is in pyproject.toml's list of packages to install.

The list is spelled out (``cli/`` and ``migrations/`` are installed under ``tracker``),
so a new subpackage left out of it passes every test that imports from the checkout
and is missing only from the wheel users install.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_installed() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    found = {
        ".".join([package, *init.parent.relative_to(ROOT / directory).parts])
        for package, directory in setuptools["package-dir"].items()
        for init in (ROOT / directory).rglob("__init__.py")
    }
    assert "tracker.service_layer.audit" in found  # the walk sees the subpackages
    assert sorted(found - set(setuptools["packages"])) == []

"""The checkout's ``benchmarks`` package, imported from tests without leaving the
checkout on ``sys.path``.

The checkout's ``tracker/`` is not the package (``cli/`` and ``migrations/`` are
installed into it), so whatever imports ``tracker`` after the checkout is on the path
(a spawned worker inherits the path) gets a package without ``tracker.cli`` or
``tracker.migrations``. ``benchmarks/__init__.py`` takes the checkout off the path
when it is first imported, but not on later imports.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def benchmarks_module(name: str) -> ModuleType:
    """``benchmarks.NAME``, with ``sys.path`` as it was before."""
    path = list(sys.path)
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module(f"benchmarks.{name}")
    finally:
        sys.path[:] = path

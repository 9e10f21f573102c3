"""tracker's speed goals, measured in one run against the ``eventsourcing`` library and
against the raw database; see README.md here and ``python -m benchmarks --help``.

``python -m benchmarks`` puts the checkout first on ``sys.path``, and the checkout's
``tracker/`` is not the installed package: pyproject.toml maps ``cli/`` and
``migrations/`` into ``tracker.cli`` and ``tracker.migrations`` only when installing.
So the checkout leaves ``sys.path`` here and ``tracker`` is always the installed one
(an editable install points back at the checkout, with the mapping).
"""

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _CHECKOUT]

"""Entry point: ``python -m benchmarks [--quick] [--db postgresql://…] [--json FILE]``."""

import sys

from benchmarks.run import main

sys.exit(main())

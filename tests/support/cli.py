"""The `tracker` command line in-process (click's runner) against one database.

Job tests read a command's effects back through other commands (`events`, `show`), so
one object carries the database and the environment every call shares. Settings of
whoever runs the tests (any ``TRACKER_*`` variable) never leak into a call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from click.testing import CliRunner, Result

from tracker.cli.main import cli

DEMO = files("tracker.data") / "demo.yaml"

Env = Mapping[str, str | None]


@dataclass
class Cli:
    db_url: str
    env: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, *args: str, env: Env | None = None) -> Result:
        clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRACKER_")}
        return CliRunner().invoke(
            cli, ["--db", self.db_url, *args], env={**clean, **self.env, **(env or {})}
        )

    def ok(self, *args: str, env: Env | None = None) -> Result:
        result = self(*args, env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        """The whole log (``tracker events``), or only the events of one type."""
        found = [json.loads(line) for line in self.ok("events").stdout.splitlines()]
        return [e for e in found if type_ is None or e["type"] == type_]

    def load_demo(self) -> Cli:
        """The bundled dataset imported as is: nothing flagged, nothing sent yet."""
        self.ok("import", str(DEMO))
        return self

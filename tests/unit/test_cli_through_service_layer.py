"""The CLI reaches storage through the service layer: what a ``cli/`` module takes from
``tracker.adapters`` is only exceptions, to catch them (issue 10). Read off the source
with :mod:`ast`, lazy imports inside functions included."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "cli"


def test_cli_modules_take_only_exceptions_from_the_adapters() -> None:
    taken: list[str] = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                taken += [
                    f"{path.name}: import {a.name}" for a in node.names if "adapters" in a.name
                ]
            elif isinstance(node, ast.ImportFrom) and "adapters" in (node.module or ""):
                module = importlib.import_module(str(node.module))
                taken += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if not (
                        isinstance(found := getattr(module, a.name), type)
                        and issubclass(found, BaseException)
                    )
                ]
    assert taken == []

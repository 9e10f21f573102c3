"""The layers, as the imports show them.

Read off the source with :mod:`ast`, so that a lazy import inside a function counts
as much as one at the top: the domain stays pure, each layer imports only the ones
below it, and no two modules need each other to load.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Where each installed package's sources live in the checkout.
SOURCES = {"tracker": ROOT / "tracker", "tracker.cli": ROOT / "cli"}

# What each layer may import from the project, besides itself and the leaf modules
# every layer shares (the clock, settings read from the environment, JSON text).
SHARED = {"tracker.clock", "tracker.config", "tracker.jsontext"}
MAY_IMPORT = {
    "tracker.domain": set(),
    "tracker.adapters": {"tracker.domain"},
    "tracker.service_layer": {"tracker.domain", "tracker.adapters"},
    "tracker.entrypoints": {"tracker.domain", "tracker.adapters", "tracker.service_layer"},
    "tracker.cli": {
        "tracker.domain",
        "tracker.adapters",
        "tracker.service_layer",
        "tracker.entrypoints",
        "tracker.migrations",
    },
}


@dataclass(frozen=True)
class Import:
    module: str  # the module imported, absolute
    names: tuple[str, ...]  # what ``from module import`` names; empty for ``import``
    top_level: bool  # run when the importing module loads (not in a function or a guard)
    line: int


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, directory in SOURCES.items():
        for path in directory.rglob("*.py"):
            parts = path.relative_to(directory).with_suffix("").parts
            if package == "tracker" and parts[0] == "cli":
                continue
            name = ".".join([package, *(p for p in parts if p != "__init__")])
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, (), id(node) in top, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, names, id(node) in top, node.lineno))
    return found


def _layer(module: str) -> str | None:
    for layer in sorted(MAY_IMPORT, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def _third_party(module: str) -> bool:
    root = module.partition(".")[0]
    return root not in sys.stdlib_module_names and root not in ("tracker", "__future__")


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    wrong = [
        f"{name}:{i.line} imports {i.module}"
        for name, path in MODULES.items()
        if _layer(name) == "tracker.domain"
        for i in _imports(name, path)
        if _third_party(i.module)
        or (i.module.startswith("tracker") and _layer(i.module) != "tracker.domain")
    ]
    assert wrong == []


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    allowed = {layer, *MAY_IMPORT[layer]}
    wrong = [
        f"{name}:{i.line} imports {i.module}"
        for name, path in MODULES.items()
        if _layer(name) == layer
        for i in _imports(name, path)
        if i.module.startswith("tracker")
        and i.module not in SHARED
        and _layer(i.module) not in allowed
    ]
    assert wrong == []


def test_the_service_layer_leaves_sql_to_the_adapters() -> None:
    """It runs on the unit of work: no SQLAlchemy, no statements of its own."""
    wrong = [
        f"{name}:{i.line} imports {i.module}"
        for name, path in MODULES.items()
        if _layer(name) == "tracker.service_layer"
        for i in _imports(name, path)
        if i.module.partition(".")[0] == "sqlalchemy"
    ]
    assert wrong == []


def test_no_two_modules_need_each_other_to_load() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        needs = set()
        for i in _imports(name, path):
            if not i.top_level:
                continue
            needs |= {m for m in (i.module, *(f"{i.module}.{n}" for n in i.names)) if m in MODULES}
        graph[name] = needs - {name}
    cycles = _cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                on_stack.discard(w)
                component.append(w)
            on_stack.discard(v)
            if component:
                found.append(sorted([v, *component]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checks_see_the_code() -> None:
    """The rules above are only as good as the modules they find and the imports they read."""
    assert {"tracker.domain.commitment", "tracker.adapters.db", "tracker.cli.main"} <= set(MODULES)
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    imports = _imports("tracker.cli.main", MODULES["tracker.cli.main"])
    assert any(i.module == "tracker.cli.output" and i.top_level for i in imports)

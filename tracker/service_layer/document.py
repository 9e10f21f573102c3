"""Reading a commitments file with the line of every value, and reporting what is wrong.

People write these files by hand, so every problem names the file, the path inside
it (``commitments[3].history[1].on``) and, for YAML, the line; and all problems are
collected before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class DataError(Exception):
    """User data that cannot be used; carries every problem found."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file, self.problems = file, problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  {p.render(file)}" for p in problems)
        super().__init__(f"{file}: {count}, nothing was written:\n{lines}")


@dataclass
class Document:
    """Parsed data plus the line where each path's value starts."""

    name: str
    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """The line of ``path`` or, failing that, of its nearest parent."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = _PARENT.sub("", path)


_PARENT = re.compile(r"(\.[^.\[]*|\[\d+\])$")


def _index_lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            out[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, f"{path}[{i}]", out)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (the second would silently win) and reads
    ``on``/``off``/``yes``/``no`` as text: YAML 1.1 makes them booleans, which would turn
    every history entry's ``on:`` key into ``True``."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay text too: the importer parses them and can then say which entry holds an
# impossible one (PyYAML would raise a bare ValueError for 2024-13-01).
_UNRESOLVED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] not in _UNRESOLVED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_text(text: str, name: str) -> Document:
    # JSON is YAML too: one parser gives both formats their line numbers.
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        raise DataError(name, [Problem("", message, line)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise DataError(name, [Problem("", f"invalid YAML: {exc}")]) from None
    lines: dict[str, int] = {}
    if node is not None:
        _index_lines(node, "", lines)
    return Document(name, data, lines)


def read_document(path: str | Path) -> Document:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise DataError(str(path), [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise DataError(str(path), [Problem("", "is a directory, not a file")]) from None
    except PermissionError:
        raise DataError(str(path), [Problem("", "permission denied")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(str(path), [Problem("", "not UTF-8 text", line)]) from None
    return parse_text(text, str(path))

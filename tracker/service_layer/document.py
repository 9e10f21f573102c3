"""Reading a commitments file with the line of every value, and reporting what is wrong.

People write these files by hand, so every problem names the file, the path inside
it (``commitments[3].history[1].on``) and, for YAML, the line; and all problems are
collected before anything is written.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
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
    """Parsed data, and the text it came from to find the line of each path.

    Lines are only wanted when something is wrong, and indexing them costs as much
    as parsing again, so they are found on the first call to :meth:`line`.
    """

    name: str
    data: Any
    text: str | None = field(default=None, repr=False)
    _lines: dict[str, int] | None = field(default=None, init=False, repr=False)

    @property
    def lines(self) -> dict[str, int]:
        if self._lines is None:
            self._lines = {}
            if self.text is not None:
                node = yaml.compose(self.text, Loader=_UniqueKeyLoader)
                if node is not None:
                    _index_lines(node, "", self._lines)
        return self._lines

    def line(self, path: str) -> int | None:
        """The line of ``path`` or, failing that, of its nearest parent."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            parent = _PARENT.sub("", path)
            path = "" if parent == path else parent  # a top-level key's parent is the root


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


class _UniqueKeys:
    """Loader rules: refuse duplicate keys (the second would silently win) and read
    ``on``/``off``/``yes``/``no`` as text: YAML 1.1 makes them booleans, which would turn
    every history entry's ``on:`` key into ``True``."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc, no-any-return]


class _UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    """PyYAML's own parser: its messages and marks are the ones users see."""


class _FastLoader(_UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser, where PyYAML was built with it: a large file reads several
    times faster. A file it refuses is read again by PyYAML's, for PyYAML's message."""

# Dates stay text too: the importer parses them and can then say which entry holds an
# impossible one (PyYAML would raise a bare ValueError for 2024-13-01).
_UNRESOLVED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
for _loader in (_UniqueKeyLoader, _FastLoader):
    _loader.yaml_implicit_resolvers = {
        first: [r for r in resolvers if r[0] not in _UNRESOLVED]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("duplicate key")  # the YAML parser says which, and where
    return found


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a YAML value")


def _as_json(text: str) -> Any:
    """``text`` read by the json module if it is a JSON document that YAML would read
    the same way, else ``None``: JSON is YAML too, but parses a hundred times faster."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant
        )
    except ValueError:  # not JSON after all, a duplicate key, NaN: YAML decides
        return None


def parse_text(text: str, name: str) -> Document:
    data = _as_json(text)
    if data is not None:
        return Document(name, data, text)
    with suppress(yaml.YAMLError, ValueError, TypeError):  # PyYAML's parser says why, below
        return Document(name, yaml.load(text, Loader=_FastLoader), text)  # noqa: S506
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        raise DataError(name, [Problem("", message, line)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise DataError(name, [Problem("", f"invalid YAML: {exc}")]) from None
    return Document(name, data, text)


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

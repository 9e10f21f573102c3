"""Reading a commitments file with the line of every value, and reporting what is wrong.

People write these files by hand, so every problem names the file, the path inside
it (``commitments[3].history[1].on``) and, for YAML, the line; and all problems are
collected before anything is written.

The format needs none of YAML's anchors and aliases, and an alias bomb ("billion
laughs": nine lines that expand to a billion values) would hang whatever walks the
data, so both are refused, as are files over :data:`MAX_BYTES` and nesting deeper
than :data:`MAX_DEPTH`. Without aliases every value takes at least two characters of
text, so the size cap also caps the number of values.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 64 * 1024 * 1024  # hundreds of thousands of entries; split larger files
MAX_DEPTH = 64  # a commitments file nests seven deep (the dates of a history due window)
# Half a UTF-16 pair: not a character, and not storable as UTF-8 (see rules.text_problem).
SURROGATE = re.compile(r"[\ud800-\udfff]")
# Where a node can carry an anchor (&a) or be an alias (*a): at the start of a line,
# after a space, or in flow context after [ { , or :. Text without this has neither, so
# libyaml (whose composer cannot be asked) may read it; text with it, possibly only in a
# quoted string, goes to PyYAML's composer, which refuses the real ones with their line.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,:\ufeff])[&*]\S", re.MULTILINE)


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
                # libyaml's composer takes a fraction of the time PyYAML's does (a
                # minute for a 20 MB file); PyYAML's reads what libyaml refuses (JSON's
                # lone surrogate escapes). Best effort: a problem in a file neither can
                # compose is reported without lines.
                for loader in (_FastLoader, _UniqueKeyLoader):
                    with suppress(yaml.YAMLError, RecursionError):
                        node = yaml.compose(self.text, Loader=loader)
                        if node is not None:
                            _index_lines(node, "", self._lines)
                        break
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


class _Refused(yaml.MarkedYAMLError):
    """YAML that parses but that a commitments file does not take: the message is the
    problem itself, not "invalid YAML"."""


class _UniqueKeys:
    """Loader rules: refuse duplicate keys (the second would silently win) and read
    ``on``/``off``/``yes``/``no`` as text: YAML 1.1 makes them booleans, which would turn
    every history entry's ``on:`` key into ``True``. A ``"\\ud800"`` escape is refused:
    half a UTF-16 pair is no character (libyaml refuses it too; PyYAML does not)."""

    def construct_scalar(self, node: yaml.ScalarNode | yaml.MappingNode) -> str:
        value: str = super().construct_scalar(node)  # type: ignore[misc]
        if isinstance(value, str) and (bad := SURROGATE.search(value)):
            raise _Refused(
                None,
                None,
                f"U+{ord(bad.group()):04X} is half a UTF-16 surrogate pair, not a character; "
                "write the character itself, or escape it whole (\\U0001F600)",
                node.start_mark,
            )
        return value

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
    """PyYAML's own parser: its messages and marks are the ones users see. Its composer
    refuses anchors and aliases, and nesting deeper than :data:`MAX_DEPTH`."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            what = "an alias *" if isinstance(event, yaml.AliasEvent) else "an anchor &"
            raise _Refused(
                None,
                None,
                f"{what}{event.anchor}: a commitments file takes no anchors or aliases; "
                "write the value out in full",
                event.start_mark,
            )
        if self._depth >= MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} deep; a commitments file needs seven"
            raise _Refused(None, None, message, event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # not JSON, a duplicate key, NaN, too deep: YAML decides
        return None


# A \uD800-\uDFFF escape in JSON text; json pairs them up, and only a lone one is left.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(data: Any, path: str = "") -> str | None:
    """The path of the first text in ``data`` holding half a surrogate pair, if any."""
    if isinstance(data, str):
        return path if SURROGATE.search(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if SURROGATE.search(key):
                return path
            if (found := _lone_surrogate(value, child)) is not None:
                return found
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if (found := _lone_surrogate(item, f"{path}[{i}]")) is not None:
                return found
    return None


def _too_large(size: int | None = None) -> Problem:
    """``size`` None: a stream, read only up to the cap."""
    what = f"is {size / 2**20:.0f} MiB, over" if size else "holds more than"
    return Problem(
        "",
        f"{what} the {MAX_BYTES // 2**20} MiB a file may hold; "
        "split its commitments over several files",
    )


def parse_text(text: str, name: str) -> Document:
    if len(text) > MAX_BYTES:
        raise DataError(name, [_too_large(len(text))])
    data = _as_json(text)
    if data is not None:
        doc = Document(name, data, text)
        if _SURROGATE_ESCAPE.search(text) and (path := _lone_surrogate(data)) is not None:
            message = "holds half a UTF-16 surrogate pair (a lone \\ud800-\\udfff escape)"
            raise DataError(name, [Problem(path, message, doc.line(path))])
        return doc
    if not _MAYBE_ANCHOR.search(text):
        with suppress(yaml.YAMLError, ValueError, TypeError, RecursionError):  # see below
            return Document(name, yaml.load(text, Loader=_FastLoader), text)  # noqa: S506
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DataError(name, [Problem("", str(exc.problem), line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        raise DataError(name, [Problem("", message, line)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, unescaped
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: character U+{code:04X} is not allowed in a YAML file"
        raise DataError(name, [Problem("", message, line)]) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise DataError(name, [Problem("", f"invalid YAML: {exc}")]) from None
    return Document(name, data, text)


def read_document(path: str | Path) -> Document:
    file = Path(path)
    try:
        if (size := file.stat().st_size) > MAX_BYTES:
            raise DataError(str(path), [_too_large(size)])
        with file.open("rb") as f:  # a pipe or a device has no size: read one byte past the cap
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise DataError(str(path), [_too_large()])
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

"""A commitments/v1 document as YAML text, the way export writes it."""

from __future__ import annotations

from typing import Any, TextIO

from tracker.service_layer.app import collector_paused

YAML_OPTIONS: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 88}
HEADER = "# commitments/v1, exported by `tracker export`; import it with `tracker import`.\n"


def yaml_dumper() -> type:
    """libyaml's C emitter (as fast as the loader, which already uses libyaml), or the
    pure-Python one where PyYAML was built without libyaml; both write the same text.

    It writes a value twice rather than as an anchor and an alias, which the import
    refuses: an object shared within the document must not break the round trip.
    """
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class NoAliases(base):  # type: ignore[valid-type, misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return NoAliases


def write_yaml(document: dict[str, Any], out: TextIO) -> None:
    """The document as commitments/v1 YAML.

    PyYAML builds a node for every value before emitting any: hundreds of thousands of
    young objects, over which the cycle collector runs again and again, and which hold
    no cycles for it to find. Pausing it for the dump halves an export's time (see
    benchmarks/RESULTS.md, X1); reference counting still frees the nodes after it.
    """
    import yaml

    out.write(HEADER)
    with collector_paused():
        yaml.dump(document, out, Dumper=yaml_dumper(), **YAML_OPTIONS)

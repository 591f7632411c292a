"""JSON Schema checks of a run's file, with the position of every offending value.

The schemas in `schemas/` (shipped in the package as `batchlint/schemas/`) are checked by a small
built-in validator first: it understands the keywords these schemas use and answers "valid"
without importing `jsonschema` (≈ 180 ms of start-up in a pre-commit hook). Only when it finds a
problem does `jsonschema` run, to produce the errors; a test keeps both verdicts equal.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

from batchlint.loading.nodes import Mapping, Node, Scalar, Sequence, Span

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_FOR_DIALECT = {"accelerate": "accelerate-config", "deepspeed": "deepspeed-config", "musev": "musev-train", "animateanyone": "animateanyone-train"}
_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
_cache: dict[str, dict[str, Any]] = {}


def load_schema(name: str) -> dict[str, Any]:
    if name not in _cache:
        with open(os.path.join(_HERE, f"{name}.schema.json"), encoding="utf-8") as fh:
            _cache[name] = json.load(fh)
    return _cache[name]


_TYPES = {
    # JSON Schema: 1.0 is an integer too (a float with no fractional part).
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}
_KNOWN = {
    "type",
    "enum",
    "const",
    "properties",
    "additionalProperties",
    "required",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "anyOf",
    "oneOf",
    "allOf",
    "items",
    "description",
    "title",
    "$schema",
    "$id",
    "$ref",
    "definitions",
    "minLength",
}


def _equal(a: object, b: object) -> bool:
    # JSON Schema equality: 1 and True differ; 1 and 1.0 are equal.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any] | bool | None:
    """A `#/definitions/...` reference inside `root`; None for any other (jsonschema resolves those)."""
    if not ref.startswith("#/"):
        return None
    node: object = root
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict | bool) else None


resolve_ref = _resolve  # public: the schema rule follows references as the quick validator does


def quick_valid(schema: dict[str, Any] | bool, value: object, root: dict[str, Any] | None = None) -> bool:
    """True when `value` is valid; False when it is not, or when the schema uses a keyword this
    validator does not know (then jsonschema decides). `root` is the whole schema, for `$ref`."""
    if schema is True or schema == {}:
        return True
    if schema is False:
        return False
    assert isinstance(schema, dict)
    if root is None:
        root = schema
    if set(schema) - _KNOWN:
        return False
    if "$ref" in schema:  # draft-07: a `$ref` replaces its siblings
        target = _resolve(root, schema["$ref"])
        return target is not None and quick_valid(target, value, root)
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES[k](value) for k in kinds):
            return False
    if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
        return False
    if "const" in schema and not _equal(value, schema["const"]):
        return False
    if _TYPES["number"](value):
        n = value
        assert isinstance(n, int | float)
        if "minimum" in schema and n < schema["minimum"]:
            return False
        if "maximum" in schema and n > schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and n <= schema["exclusiveMinimum"]:
            return False
        if "exclusiveMaximum" in schema and n >= schema["exclusiveMaximum"]:
            return False
    if isinstance(value, str):
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            return False
        if "minLength" in schema and len(value) < schema["minLength"]:
            return False
    if "anyOf" in schema and not any(quick_valid(s, value, root) for s in schema["anyOf"]):
        return False
    if "oneOf" in schema and sum(1 for s in schema["oneOf"] if quick_valid(s, value, root)) != 1:
        return False
    if "allOf" in schema and not all(quick_valid(s, value, root) for s in schema["allOf"]):
        return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(r not in value for r in schema.get("required", [])):
            return False
        for key, item in value.items():
            if key in props:
                if not quick_valid(props[key], item, root):
                    return False
            elif "additionalProperties" in schema and not quick_valid(schema["additionalProperties"], item, root):
                return False
    if isinstance(value, list) and "items" in schema:
        return all(quick_valid(schema["items"], item, root) for item in value)
    return True


class Violation:
    __slots__ = ("path", "message", "keyword", "key")

    def __init__(self, path: tuple[str | int, ...], message: str, keyword: str, key: str | None = None) -> None:
        self.path = path  # where the offending value is
        self.message = message
        self.keyword = keyword
        self.key = key  # for an unexpected key: the key itself


def violations(schema: dict[str, Any], instance: object) -> list[Violation]:
    """Every error jsonschema finds (imported only here), at the path of the offending value."""
    if quick_valid(schema, instance):
        return []
    import jsonschema  # type: ignore[import-untyped]

    out: list[Violation] = []
    validator = jsonschema.validators.validator_for(schema)(schema)
    for error in validator.iter_errors(instance):
        out.extend(_explain(error))
    return out


_INTERPOLATION = "#/definitions/interpolation"


def _explain(error: Any) -> Iterator[Violation]:
    """One error as the user needs it: each unexpected key; for a list of alternatives where a
    value may also be an OmegaConf interpolation, the error of the one real alternative (at the
    offending leaf, not its section), or "is not one of" when the alternatives are constants."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in allowed:
                yield Violation(path + (key,), f"unexpected key `{key}`", "additionalProperties", key)
        return
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches = [(i, b) for i, b in enumerate(error.validator_value) if not (isinstance(b, dict) and b.get("$ref") == _INTERPOLATION)]
        if branches and all(isinstance(b, dict) and ("const" in b or b.get("type") == "null") for _, b in branches):
            values = [b.get("const") for _, b in branches]
            yield Violation(path, f"{error.instance!r} is not one of {values!r}", "enum")
            return
        if len(branches) == 1:
            index = branches[0][0]
            for sub in sorted(error.context, key=lambda e: [str(p) for p in e.absolute_path]):
                if sub.relative_schema_path and sub.relative_schema_path[0] == index:
                    yield from _explain(sub)
            return
    yield Violation(path, error.message, str(error.validator))


def node_at(root: Node | None, path: tuple[str | int, ...]) -> Node | None:
    node = root
    for part in path:
        if isinstance(node, Mapping):
            node = node.get(str(part))
        elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        else:
            return None
    return node


def key_span(root: Node | None, path: tuple[str | int, ...]) -> Span | None:
    parent = node_at(root, path[:-1])
    if isinstance(parent, Mapping) and path:
        key = parent.key_node(str(path[-1]))
        return key.span if key else None
    return None


def iter_scalars(node: Node | None) -> Iterator[Scalar]:
    if isinstance(node, Mapping):
        for k in node.keys():
            yield from iter_scalars(node.get(k))
    elif isinstance(node, Sequence):
        for item in node.items:
            yield from iter_scalars(item)
    elif isinstance(node, Scalar):
        yield node

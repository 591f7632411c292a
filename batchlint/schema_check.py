"""JSON Schema checks of a run's file, with the position of every offending value.

The schemas in `schemas/` (shipped in the package as `batchlint/schemas/`) are checked by a small
built-in validator first: it understands the keywords these schemas use and answers "valid"
without importing `jsonschema` (≈ 180 ms of start-up in a pre-commit hook). When it finds a problem,
`schema_errors` explains it as jsonschema's Draft 7 validator would (same errors, order and
messages); jsonschema runs only for a schema with keywords beyond those. Tests keep the verdicts and
the explanations equal to jsonschema's.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator

from batchlint import JSON_SCHEMA_DRAFT
from batchlint.loading.nodes import Mapping, Node, Scalar, Sequence, Span

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_FOR_DIALECT = {"accelerate": "accelerate-config", "deepspeed": "deepspeed-config", "musev": "musev-train", "animateanyone": "animateanyone-train"}
_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
_cache: dict[str, dict[str, Any]] = {}
# id(loaded schema) -> (the schema, id(subschema) -> its compiled check): see `_compiled`.
_TABLES: dict[int, tuple[dict[str, Any], dict[int, Callable[[object], bool]]]] = {}


def load_schema(name: str) -> dict[str, Any]:
    if name not in _cache:
        with open(os.path.join(_HERE, f"{name}.schema.json"), encoding="utf-8") as fh:
            _cache[name] = _json_value(fh.read())
        _TABLES[id(_cache[name])] = (_cache[name], {})  # checked by its compiled form (kept, like the schema)
    return _cache[name]


class _Decoding:
    """What `json.loads` gives its C scanner (`json.decoder.JSONDecoder`'s defaults)."""

    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    strict = True


def _json_value(text: str) -> Any:
    """`json.loads(text)`, read by the C scanner `json.loads` itself uses, without importing `json` (its
    package, decoder, encoder and their patterns: about 1 ms of a one-file check, which reads one schema).
    Anything but one JSON value between JSON whitespace, or no C scanner, goes to `json.loads` (its errors)."""
    try:
        from _json import make_scanner
    except ImportError:  # (an interpreter without the accelerator)
        pass
    else:
        scan: Any = make_scanner(_Decoding)  # type: ignore[arg-type]  # (the attributes it reads are JSONDecoder's)
        try:
            value, end = scan(text, len(text) - len(text.lstrip(" \t\n\r")))
        except StopIteration:
            pass
        else:
            if not text[end:].strip(" \t\n\r"):
                return value
    import json

    return json.loads(text)


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
    validator does not know (then jsonschema decides). `root` is the whole schema, for `$ref`.
    A schema of `schemas/` (load_schema) is checked by its compiled form (`_compiled`), any other by
    reading its keywords on each call; both answer the same."""
    top = schema if root is None else root
    if isinstance(top, dict):
        table = _TABLES.get(id(top))
        if table is not None and table[0] is top:
            return _compiled(schema, top, table[1])(value)
    return _interpreted(schema, value, root)


def _interpreted(schema: dict[str, Any] | bool, value: object, root: dict[str, Any] | None = None) -> bool:
    """quick_valid, reading the schema's keywords on each call."""
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


def _true(value: object) -> bool:
    return True


def _false(value: object) -> bool:
    return False


def _compiled(schema: object, root: dict[str, Any], table: dict[int, Callable[[object], bool]]) -> Callable[[object], bool]:
    """`schema` (a part of the loaded schema `root`) as one function of the value, built on first use:
    the keywords are read once, not on every value of every file. Its answers, and the order in which
    it tries the keywords, are `_interpreted`'s."""
    key = id(schema)
    check = table.get(key)
    if check is None:

        def deferred(value: object) -> bool:  # a `$ref` back to a schema being built
            return table[key](value)

        table[key] = deferred
        try:
            check = _build(schema, root, table)
        except Exception:  # a malformed schema: read as _interpreted reads it (which fails, or raises, as before)
            check = functools.partial(_interpreted, schema, root=root)  # type: ignore[arg-type]
        table[key] = check
    return check


def _build(schema: object, root: dict[str, Any], table: dict[int, Callable[[object], bool]]) -> Callable[[object], bool]:
    if schema is True or schema == {}:
        return _true
    if schema is False:
        return _false
    if not isinstance(schema, dict):
        raise TypeError("not a schema")
    if set(schema) - _KNOWN:
        return _false
    if "$ref" in schema:  # draft-07: a `$ref` replaces its siblings
        target = _resolve(root, schema["$ref"])
        return _false if target is None else _compiled(target, root, table)
    checks: list[Callable[[object], bool]] = []
    kind = schema.get("type")
    if kind is not None:
        kinds: tuple[Callable[[object], bool], ...] = tuple(_TYPES[k] for k in (kind if isinstance(kind, list) else [kind]))
        checks.append(kinds[0] if len(kinds) == 1 else functools.partial(_any, kinds))
    if "enum" in schema:
        enum = schema["enum"]
        checks.append(lambda v: any(_equal(v, e) for e in enum))
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda v: _equal(v, const))
    bounds = [(word, schema[word]) for word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if word in schema]
    if bounds:
        checks.append(functools.partial(_within, tuple(bounds)))
    if "pattern" in schema or "minLength" in schema:
        checks.append(functools.partial(_string, schema.get("pattern"), "pattern" in schema, schema.get("minLength"), "minLength" in schema))
    if "anyOf" in schema:
        checks.append(functools.partial(_any, tuple(_compiled(s, root, table) for s in schema["anyOf"])))
    if "oneOf" in schema:
        one_of = [_compiled(s, root, table) for s in schema["oneOf"]]
        checks.append(lambda v: sum(1 for c in one_of if c(v)) == 1)
    if "allOf" in schema:
        checks.append(functools.partial(_all, tuple(_compiled(s, root, table) for s in schema["allOf"])))
    props = schema.get("properties", {})
    required = tuple(schema.get("required", []))
    extra = _compiled(schema["additionalProperties"], root, table) if "additionalProperties" in schema else None
    if props or required or extra is not None:
        checks.append(functools.partial(_object, props, {}, required, extra, root, table))
    if "items" in schema:
        item = _compiled(schema["items"], root, table)
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    if not checks:
        return _true
    if len(checks) == 1:
        return checks[0]
    return functools.partial(_all, tuple(checks))


def _any(checks: tuple[Callable[[object], bool], ...], value: object) -> bool:
    for check in checks:
        if check(value):
            return True
    return False


def _all(checks: tuple[Callable[[object], bool], ...], value: object) -> bool:
    for check in checks:
        if not check(value):
            return False
    return True


def _within(bounds: tuple[tuple[str, Any], ...], value: object) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return True
    for word, limit in bounds:
        if word == "minimum" and value < limit or word == "maximum" and value > limit:
            return False
        if word == "exclusiveMinimum" and value <= limit or word == "exclusiveMaximum" and value >= limit:
            return False
    return True


def _string(pattern: Any, has_pattern: bool, min_length: Any, has_min: bool, value: object) -> bool:
    if not isinstance(value, str):
        return True
    if has_pattern and re.search(pattern, value) is None:
        return False
    return not (has_min and len(value) < min_length)


def _object(
    props: Any,
    built: dict[str, Callable[[object], bool]],
    required: tuple[str, ...],
    extra: Callable[[object], bool] | None,
    root: dict[str, Any],
    table: dict[int, Callable[[object], bool]],
    value: object,
) -> bool:
    if not isinstance(value, dict):
        return True
    for r in required:
        if r not in value:
            return False
    for key, item in value.items():
        if key in props:
            check = built.get(key)
            if check is None:
                check = built[key] = _compiled(props[key], root, table)
            if not check(item):
                return False
        elif extra is not None and not extra(item):
            return False
    return True


class Violation:
    __slots__ = ("path", "message", "keyword", "key")

    def __init__(self, path: tuple[str | int, ...], message: str, keyword: str, key: str | None = None) -> None:
        self.path = path  # where the offending value is
        self.message = message
        self.keyword = keyword
        self.key = key  # for an unexpected key: the key itself


def violations(schema: dict[str, Any], instance: object) -> list[Violation]:
    """Every error jsonschema finds, at the path of the offending value. A Draft 7 schema that uses
    only the keywords `schema_errors` knows (the built-in ones) is explained here; any other by
    jsonschema (imported only then)."""
    if quick_valid(schema, instance):
        return []
    if schema.get("$schema") == JSON_SCHEMA_DRAFT and explainable(schema):
        errors: Iterable[Any] = schema_errors(schema, instance, schema)
    else:
        import jsonschema  # type: ignore[import-untyped]

        errors = jsonschema.validators.validator_for(schema)(schema).iter_errors(instance)
    out: list[Violation] = []
    for error in errors:
        out.extend(_explain(error))
    return out


# The keywords explained here as jsonschema explains them (Draft 7, the messages of jsonschema 4.x):
# those of the quick validator but `minLength`, whose message jsonschema changed between versions.
_EXPLAINED = _KNOWN - {"minLength"}


class SchemaError:
    """One error as jsonschema's `ValidationError` has it, for the attributes `_explain` reads."""

    __slots__ = ("message", "validator", "validator_value", "instance", "schema", "absolute_path", "relative_schema_path", "context", "bare")

    def __init__(self, message: str, validator: str | None, value: object, instance: object, schema: object, path: tuple[str | int, ...]) -> None:
        self.message = message
        self.validator = validator
        self.validator_value = value
        self.instance = instance
        self.schema = schema
        self.absolute_path = path
        self.relative_schema_path: tuple[str | int, ...] = (validator,) if validator not in (None, "$ref") else ()
        self.context: list[SchemaError] = []
        self.bare = False  # a `false` subschema's error: jsonschema's descent into it adds neither its path nor its schema path


def explainable(schema: object, root: object = None) -> bool:
    """Whether every keyword of the schema (and of its subschemas) is one `schema_errors` explains,
    and every `$ref` points into the schema (`root`, the whole one)."""
    root = schema if root is None else root
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or set(schema) - _EXPLAINED:
        return False
    for key, value in schema.items():
        if key in ("properties", "definitions"):
            if not all(explainable(sub, root) for sub in value.values()):
                return False
        elif key in ("anyOf", "oneOf", "allOf"):
            if not all(explainable(sub, root) for sub in value):
                return False
        elif key in ("additionalProperties", "items") and not (
            isinstance(value, list) and all(explainable(s, root) for s in value) or explainable(value, root)
        ):
            return False
        elif key in ("enum", "const") and any(isinstance(v, list | dict) for v in (value if key == "enum" else [value])):
            return False  # jsonschema compares containers with its own equality
        elif key == "$ref" and not (isinstance(value, str) and isinstance(root, dict) and _resolve(root, value) is not None):
            return False
    return True


def _is(kind: str, value: object) -> bool:
    check = _TYPES.get(kind)
    return check is not None and check(value)


def schema_errors(schema: object, instance: object, root: dict[str, Any], path: tuple[str | int, ...] = (), stepped: bool = False) -> Iterator[SchemaError]:
    """The errors jsonschema's Draft 7 validator yields, in its order and with its messages. `stepped`:
    the last part of `path` is the descent into this subschema (a property, an item)."""
    if schema is True:
        return
    if schema is False:
        error = SchemaError(f"False schema does not allow {instance!r}", None, None, instance, schema, path[:-1] if stepped else path)
        error.bare = True
        yield error
        return
    assert isinstance(schema, dict)
    items = [("$ref", schema["$ref"])] if "$ref" in schema else list(schema.items())  # draft 7: `$ref` replaces its siblings
    for key, value in items:
        yield from _keyword(key, value, instance, schema, root, path)


def _new(message: str, key: str, value: object, instance: object, schema: dict[str, Any], path: tuple[str | int, ...]) -> SchemaError:
    return SchemaError(message, key, value, instance, schema, path)


def _under(errors: Iterator[SchemaError], step: str | int) -> Iterator[SchemaError]:
    """Errors of a keyword, its name added to their schema paths."""
    for error in errors:
        error.relative_schema_path = (step, *error.relative_schema_path)
        yield error


def _descent(errors: Iterator[SchemaError], step: str | int | None = None) -> Iterator[SchemaError]:
    """Errors of a descent into a subschema, `step` (a property, an index) added to their schema paths."""
    for error in errors:
        if error.bare:
            error.bare = False
        elif step is not None:
            error.relative_schema_path = (step, *error.relative_schema_path)
        yield error


def _keyword(key: str, value: Any, instance: object, schema: dict[str, Any], root: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[SchemaError]:
    if key == "$ref":
        target = _resolve(root, value)
        yield from _descent(schema_errors(target, instance, root, path))
    elif key == "type":
        kinds = value if isinstance(value, list) else [value]
        if not any(_is(k, instance) for k in kinds):
            yield _new(f"{instance!r} is not of type {', '.join(repr(k) for k in kinds)}", key, value, instance, schema, path)
    elif key == "enum":
        if not any(_equal(instance, e) for e in value):
            yield _new(f"{instance!r} is not one of {value!r}", key, value, instance, schema, path)
    elif key == "const":
        if not _equal(instance, value):
            yield _new(f"{value!r} was expected", key, value, instance, schema, path)
    elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if _is("number", instance):
            n: Any = instance
            if key == "minimum" and n < value:
                yield _new(f"{instance!r} is less than the minimum of {value!r}", key, value, instance, schema, path)
            elif key == "maximum" and n > value:
                yield _new(f"{instance!r} is greater than the maximum of {value!r}", key, value, instance, schema, path)
            elif key == "exclusiveMinimum" and n <= value:
                yield _new(f"{instance!r} is less than or equal to the minimum of {value!r}", key, value, instance, schema, path)
            elif key == "exclusiveMaximum" and n >= value:
                yield _new(f"{instance!r} is greater than or equal to the maximum of {value!r}", key, value, instance, schema, path)
    elif key == "pattern":
        if isinstance(instance, str) and re.search(value, instance) is None:
            yield _new(f"{instance!r} does not match {value!r}", key, value, instance, schema, path)
    elif key == "required":
        if isinstance(instance, dict):
            for name in value:
                if name not in instance:
                    yield _new(f"{name!r} is a required property", key, value, instance, schema, path)
    elif key == "properties":
        if isinstance(instance, dict):
            for name, sub in value.items():
                if name in instance:
                    yield from _under(_descent(schema_errors(sub, instance[name], root, (*path, name), True), name), key)
    elif key == "additionalProperties":
        if isinstance(instance, dict):
            known = schema.get("properties", {})
            extras = {name for name in instance if name not in known}
            if isinstance(value, dict):
                for extra in extras:
                    yield from _under(_descent(schema_errors(value, instance[extra], root, (*path, extra), True)), key)
            elif value is False and extras:
                names = sorted(extras, key=str)
                listed = ", ".join(repr(n) for n in names)
                yield _new(
                    f"Additional properties are not allowed ({listed} {'was' if len(names) == 1 else 'were'} unexpected)", key, value, instance, schema, path
                )
    elif key in ("anyOf", "oneOf"):
        found: list[SchemaError] = []
        first = None
        for index, sub in enumerate(value):
            errors = list(_descent(schema_errors(sub, instance, root, path), index))
            if not errors:
                first = index
                break
            found.extend(errors)
        if first is None:
            error = _new(f"{instance!r} is not valid under any of the given schemas", key, value, instance, schema, path)
            error.context = found
            yield error
        elif key == "oneOf":
            more = [sub for sub in value[first + 1 :] if not any(True for _ in schema_errors(sub, instance, root, path))]
            if more:
                more.append(value[first])
                yield _new(f"{instance!r} is valid under each of {', '.join(repr(s) for s in more)}", key, value, instance, schema, path)
    elif key == "allOf":
        for index, sub in enumerate(value):
            yield from _under(_descent(schema_errors(sub, instance, root, path), index), key)
    elif key == "items":
        if isinstance(instance, list):
            if isinstance(value, list):
                for index, (item, sub) in enumerate(zip(instance, value, strict=False)):
                    yield from _under(_descent(schema_errors(sub, item, root, (*path, index), True), index), key)
            else:
                for index, item in enumerate(instance):
                    yield from _under(_descent(schema_errors(value, item, root, (*path, index), True)), key)


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

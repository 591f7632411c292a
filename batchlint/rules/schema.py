"""BL007: the file against its JSON Schema (`schemas/`), each error at the offending value."""

from __future__ import annotations

from collections.abc import Iterator

from batchlint.loading.nodes import Mapping, Node, Scalar, Sequence
from batchlint.model import Semantics, Severity
from batchlint.resolve import read_as_written, scalar_value  # (imported before any rule runs: an import statement per scalar cost more than the read)
from batchlint.rules.base import Diagnostic, DocumentRule, file_start
from batchlint.views import DocumentView

# Paths whose problems a dedicated rule reports with a better message.
_COVERED: dict[str, set[tuple[str, ...]]] = {
    "accelerate": {("distributed_type",), ("mixed_precision",), ("gpu_ids",)},
    "deepspeed": {("train_batch_size",), ("train_micro_batch_size_per_gpu",), ("gradient_accumulation_steps",)},
    "musev": {("train", "train_batch_size"), ("train", "gradient_accumulation_steps")},
    "animateanyone": {("data", "train_bs"), ("solver", "gradient_accumulation_steps")},
}


def instance_of(doc: DocumentView) -> object:
    """The file as its consumer reads it; OmegaConf interpolations resolved where they resolve."""
    # One Python object per node: aliases stay shared (an alias bomb stays small, a recursive alias
    # becomes a cycle), and validation only descends as deep as the schema does.
    return _instance(doc, doc.semantics or Semantics.YAML11, {}, doc.root, (), 0, [0, 0])


def _instance(
    doc: DocumentView, semantics: Semantics, memo: dict[int, object], node: Node | None, path: tuple[str | int, ...], depth: int, tally: list[int]
) -> object:
    # A function, not a closure calling itself: such a closure is a reference cycle that keeps the
    # document alive until the cyclic collector runs. `tally`: [values built, values shared] (_Tally).
    tally[0] += 1
    if node is None or depth > 100:
        return None
    if id(node) in memo:
        tally[1] += 1
        return memo[id(node)]
    if isinstance(node, Mapping):
        out: dict[str, object] = {}
        memo[id(node)] = out
        for k, child in node.entries():
            out[k] = _instance(doc, semantics, memo, child, (*path, k), depth + 1, tally)
        return out
    if isinstance(node, Sequence):
        items: list[object] = []
        memo[id(node)] = items
        items.extend(_instance(doc, semantics, memo, item, (*path, i), depth + 1, tally) for i, item in enumerate(node.items))
        return items
    assert isinstance(node, Scalar)
    value, container = _scalar(doc, semantics, node, path)
    return _instance(doc, semantics, memo, container, path, depth + 1, tally) if container is not None else value


def _scalar(doc: DocumentView, semantics: Semantics, node: Scalar, path: tuple[str | int, ...]) -> tuple[object, Node | None]:
    """A scalar as its consumer reads it: (its value, None), or (None, the mapping or list an OmegaConf
    interpolation resolves to, which is read in its place)."""
    value = scalar_value(node, semantics)
    if isinstance(value, str) and "${" in value and semantics == Semantics.OMEGACONF:
        res = doc.resolve(path)
        if res is not None and res.problem is None:
            return (None, res.container) if res.container is not None else (res.value, None)
    return value, None


# Keywords under which quick_valid looks at a mapping's values only through `properties` (and the
# subschemas combined with it); any other keyword (`additionalProperties`, `enum`, `const`, `items`,
# one quick_valid does not know) may look at every key, so the value is converted whole.
_BY_PROPERTIES = frozenset(
    {"type", "properties", "required", "description", "title", "$schema", "$id", "$ref", "definitions", "anyOf", "oneOf", "allOf"}
    | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "minLength"}
)


class _Shape:
    """Which keys of a mapping a set of subschemas can look at (the others are never read by quick_valid)."""

    __slots__ = ("root", "properties", "children")

    def __init__(self, root: dict[str, object], properties: dict[str, list[object]]) -> None:
        self.root = root
        self.properties = properties  # key -> the subschemas its value is validated by
        self.children: dict[str, _Shape | None] = {}

    def child(self, key: str) -> _Shape | None:
        if key not in self.children:
            self.children[key] = _shape(self.properties[key], self.root)
        return self.children[key]


def _shape(schemas: list[object], root: dict[str, object]) -> _Shape | None:
    """The shape of what `schemas` look at in one value; None when they may look at all of it."""
    from batchlint.schema_check import resolve_ref

    properties: dict[str, list[object]] = {}
    pending = list(schemas)
    seen: set[int] = set()
    while pending:
        schema = pending.pop()
        if isinstance(schema, bool):
            continue  # true looks at nothing; false fails before looking
        if not isinstance(schema, dict) or set(schema) - _BY_PROPERTIES or len(seen) > 200:
            return None
        if id(schema) in seen:
            continue
        seen.add(id(schema))
        if "$ref" in schema:
            target = resolve_ref(root, str(schema["$ref"]))
            if target is None:
                return None
            pending.append(target)
        for word in ("anyOf", "oneOf", "allOf"):
            pending.extend(schema.get(word) or [])
        for key, sub in (schema.get("properties") or {}).items():
            properties.setdefault(key, []).append(sub)
    return _Shape(root, properties)


def _shaped(
    doc: DocumentView,
    semantics: Semantics,
    memo: dict[tuple[int, int], object],
    node: Node | None,
    path: tuple[str | int, ...],
    depth: int,
    shape: _Shape | None,
    tally: list[int],
) -> object:
    """`instance_of`, with the values of the keys `shape` never looks at left as None."""
    if shape is None or isinstance(node, Sequence) or node is None or depth > 100:
        return _instance(doc, semantics, {}, node, path, depth, tally)
    tally[0] += 1
    if isinstance(node, Scalar):  # as _instance reads it, an interpolated mapping (an include) shaped too
        value, container = _scalar(doc, semantics, node, path)
        return _shaped(doc, semantics, memo, container, path, depth + 1, shape, tally) if container is not None else value
    key = (id(node), id(shape))
    if key in memo:
        tally[1] += 1
        return memo[key]
    out: dict[str, object] = {}
    memo[key] = out
    entries = node.entries()
    tally[0] += len(entries)  # (the values left as None count too: an upper bound is what is kept)
    properties = shape.properties
    for k, child in entries:
        if k not in properties:
            out[k] = None
        elif type(child) is Scalar and depth < 100:  # (no node class has a subclass)
            # A scalar value read in place (what the call below would do for it, without the call).
            tally[0] += 1
            # _scalar's common case first, without its call or the key path: a value read as written that holds no interpolation
            if read_as_written(child):
                value = child.value
                if not (isinstance(value, str) and "${" in value):
                    out[k] = value
                    continue
            value, container = _scalar(doc, semantics, child, (*path, k))
            if container is None:
                out[k] = value
                continue
            below = shape.child(k)
            deeper = depth + 2
            out[k] = (
                _shaped(doc, semantics, memo, container, (*path, k), deeper, below, tally)
                if below is not None
                else _instance(doc, semantics, {}, container, (*path, k), deeper, tally)
            )
        else:
            out[k] = _shaped(doc, semantics, memo, child, (*path, k), depth + 1, shape.child(k), tally)
    return out


def shaped_instance(doc: DocumentView, schema: dict[str, object], tally: list[int] | None = None) -> object:
    """The file converted only where the schema looks (a training config's other sections are never
    read): what the quick validator would read of the whole one. `tally`, when given, is filled with
    [values built, values shared]: with none shared, every value is one the validator reads at most once."""
    known = _SHAPES.get(id(schema))
    if known is None or known[0] is not schema:
        known = _SHAPES[id(schema)] = (schema, _shape([schema], schema))
    return _shaped(doc, doc.semantics or Semantics.YAML11, {}, doc.root, (), 0, known[1], tally if tally is not None else [0, 0])


def schema_valid(doc: DocumentView, schema: dict[str, object]) -> bool:
    """Whether the quick validator passes the file (read where the schema looks)."""
    from batchlint.schema_check import quick_valid

    return quick_valid(schema, shaped_instance(doc, schema))


_SHAPES: dict[int, tuple[dict[str, object], _Shape | None]] = {}  # id(schema) -> (schema, its shape): the loaded schemas are kept


# How many values, every alias and interpolation expanded, a file may hold for its schema check: a
# validator walks (and its messages print) the expanded tree, so an alias bomb of a few lines would
# otherwise take minutes and gigabytes. Real configs hold a few thousand.
SCHEMA_BUDGET = 100_000


def expanded_size(value: object, limit: int = SCHEMA_BUDGET) -> int:
    """The values in `value` as a validator sees them (a list or mapping shared by aliases counts at each
    use; a cycle once), counted up to just past `limit`."""
    sizes: dict[int, int] = {}

    def size(item: object) -> int:
        if not isinstance(item, list | dict):
            return 1
        known = sizes.get(id(item))
        if known is not None:
            return known
        sizes[id(item)] = 1  # while counting it: a recursive alias reached again counts once
        total = 1
        for child in item.values() if isinstance(item, dict) else item:
            total += size(child)
            if total > limit:
                break
        sizes[id(item)] = total
        return total

    return size(value)


def _validated_size(schema: dict[str, object], instance: object) -> int:
    """The expanded size of what the validator descends into: the top-level keys the schema describes
    (a key it does not describe is at most named in a message, its value never walked)."""
    described = schema.get("properties")
    if not isinstance(instance, dict) or not isinstance(described, dict):
        return expanded_size(instance)
    return sum(expanded_size(instance[key]) for key in described if key in instance)


class SchemaViolation(DocumentRule):
    """A value breaks the file's JSON Schema (`schemas/<dialect>.schema.json`).

    **What.** Types, ranges and allowed values that no more specific rule reports — `num_processes: "8"`,
    `zero_optimization.stage: 4`, `solver.gradient_checkpointing: "yes"`. Problems a dedicated rule
    explains better (the batch values, `distributed_type`, unknown keys) are left to that rule. The
    schemas are also meant for editors: `# yaml-language-server: $schema=...` at the top of a YAML
    file (README). A file whose schema-described keys hold more than 100,000 values once YAML aliases
    are expanded (an alias bomb) is one finding at its first line, and is not validated.

    **Why.** accelerate converts only `compute_environment` and `distributed_type`; every other value
    reaches the launcher as YAML parsed it, and fails (or is misread) only when the job starts.

    **Failing example.** `acc.yaml`: a string process count and a port out of range:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: "8"
    main_process_port: 99999
    ```

    **Passing example.** `acc.yaml`:

    ```yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: MULTI_GPU
    num_processes: 8
    main_process_port: 29500
    ```

    **Fix.** None: write a value the schema allows (the message names the schema file).

    **Options.** None.

    **References.** accelerate-deepspeed.md §1.2 (no type checking), §1.4 (allowed values), §4.4
    (DeepSpeed's sub-config validation); the schemas in `schemas/`.
    """

    code, name, severity = "BL007", "schema-violation", Severity.WARNING
    summary = "a value breaks the file's JSON Schema"

    def check_document(self, doc: DocumentView) -> Iterator[Diagnostic]:
        from batchlint.schema_check import SCHEMA_FOR_DIALECT

        if doc.dialect not in SCHEMA_FOR_DIALECT or not doc.loaded:
            return
        from batchlint.schema_check import key_span, load_schema, node_at, violations

        dialect = doc.dialect
        covered = _COVERED.get(dialect, set())
        root = doc.root
        schema = load_schema(SCHEMA_FOR_DIALECT[dialect])
        # The budget first, on what the validator reads (an alias bomb is walked once per use), then the
        # quick check; the whole file is converted only to explain a failure, and is budgeted again.
        tally = [0, 0]
        shaped = shaped_instance(doc, schema, tally)
        instance: object = shaped
        # No value shared (no alias, no interpolation reached twice): the validator reads each value built
        # at most once, so it reads no more than were built, and counting them again is not needed.
        if (tally[1] == 0 and tally[0] <= SCHEMA_BUDGET) or _validated_size(schema, shaped) <= SCHEMA_BUDGET:
            from batchlint.schema_check import quick_valid

            if quick_valid(schema, shaped):
                return
            instance = instance_of(doc)
        if _validated_size(schema, instance) > SCHEMA_BUDGET:
            yield self.report(
                f"not checked against the {dialect} schema: the file holds more than {SCHEMA_BUDGET:,} values once its aliases are expanded",
                file_start(doc.path),
                "write the values out, or use fewer nested aliases (a YAML alias bomb is expanded by every reader)",
            )
            return
        for v in violations(schema, instance):
            if v.keyword in ("additionalProperties", "required") or any(v.path[: len(c)] == c for c in covered):
                continue
            node = node_at(root, v.path)
            span = node.span if node is not None else key_span(root, v.path) or file_start(doc.path)
            dotted = ".".join(str(p) for p in v.path) or "(top level)"
            yield self.report(f"`{dotted}`: {v.message} ({dialect} schema)", span, f"see schemas/{SCHEMA_FOR_DIALECT[dialect]}.schema.json")

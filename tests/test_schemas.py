"""The JSON Schemas: valid draft-07 schemas with their published `$id`, shipped in the package, described
for editors, in step with the rule tables; the built-in quick validator agrees with jsonschema; and
check-jsonschema accepts every real accelerate, DeepSpeed, MuseV and AnimateAnyone config of the corpus."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint import JSON_SCHEMA_DRAFT, schema_check, schema_url
from batchlint.dialects.accelerate import CLUSTER_CONFIG_KEYS
from batchlint.rules.accelerate import SUB_KEYS
from batchlint.schema_check import quick_valid, violations
from tests.conftest import CORPUS, REPO

SCHEMAS = sorted((REPO / "schemas").glob("*.schema.json"))
OMEGACONF_SCHEMAS = ("musev-train", "animateanyone-train")
# The smallest config each OmegaConf schema accepts: the base a single value is put into.
MINIMAL = {"musev-train": {"train": {"train_batch_size": 1}}, "animateanyone-train": {"data": {"train_bs": 1}, "solver": {}}}


def _load(name: str) -> dict[str, Any]:
    return json.loads((REPO / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema.validators.validator_for(schema)(schema)


def _subschemas(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside `schema`, with a readable location."""
    if not isinstance(schema, dict):
        return
    yield where or "(root)", schema
    for key in ("properties", "definitions"):
        for name, sub in schema.get(key, {}).items():
            yield from _subschemas(sub, f"{where}.{name}" if key == "properties" else f"{where}#{name}")
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from _subschemas(sub, f"{where}/{key}[{i}]")
    for key in ("items", "additionalProperties"):
        yield from _subschemas(schema.get(key), f"{where}/{key}")


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_valid_draft07_with_its_published_id_and_shipped(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == JSON_SCHEMA_DRAFT, "SchemaStore recommends draft-07, the draft editors support best"
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["$id"] == schema_url(path.name.removesuffix(".schema.json"))
    shipped = REPO / "batchlint" / "schemas" / path.name
    assert shipped.read_bytes() == path.read_bytes(), f"stale copy: cp schemas/{path.name} batchlint/schemas/"


def _typed(value: object) -> object:
    """`value` with each scalar's type beside it: `1`, `1.0` and `True` are equal, the readers' values must not be."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize("path", sorted((REPO / "batchlint" / "schemas").glob("*.schema.json")), ids=lambda p: p.name)
def test_a_shipped_schema_is_read_as_json_reads_it(path: Path) -> None:
    """load_schema reads the shipped schemas without importing `json`: the value is json.load's, key order and types included."""
    name = path.name.removesuffix(".schema.json")
    schema_check._cache.pop(name, None)
    loaded = schema_check.load_schema(name)
    with path.open(encoding="utf-8") as fh:
        expected = json.load(fh)
    assert list(loaded) == list(expected)
    assert _typed(loaded) == _typed(expected)


@pytest.mark.parametrize(
    "text",
    ['  {"a": [1, 2.5, 1e5, -0, true, null, "\\u00e9\\/\\ud83d\\ude00"]} \n', "[NaN, -Infinity]", '{"a": 1} {}', "", " x", '{"a": 1,}', "\ufeff{}", '"\x01"'],
)
def test_the_schema_reader_gives_json_loads_value_or_error(text: str) -> None:
    try:
        expected: object = _typed(json.loads(text))
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as raised:
            schema_check._json_value(text)
        assert str(raised.value) == str(exc)
    else:
        assert _typed(schema_check._json_value(text)) == expected


def test_the_package_ships_every_schema_and_nothing_else() -> None:
    assert sorted(p.name for p in (REPO / "batchlint" / "schemas").glob("*.json")) == [p.name for p in SCHEMAS]


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_property_and_enum_value_is_described(path: Path) -> None:
    """yaml-language-server shows `description` on hover and beside each completion."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema.get("title") and schema.get("description")
    for where, sub in _subschemas(schema):
        for name, prop in sub.get("properties", {}).items():
            assert isinstance(prop, dict) and prop.get("description"), f"{where}.{name}: no description"
        assert "enum" not in sub, f"{where}: an enum's values cannot carry descriptions; use oneOf of const + description"
        for key in ("oneOf", "anyOf"):
            for i, branch in enumerate(sub.get(key, [])):
                if "const" in branch or branch.get("type") == "null":
                    assert branch.get("description"), f"{where}/{key}[{i}] = {branch.get('const')!r}: no description"
        # draft-07 ignores the siblings of a `$ref`: a description or constraint next to one would be lost
        assert "$ref" not in sub or set(sub) == {"$ref"}, f"{where}: keywords next to $ref"


def test_accelerate_schema_knows_every_key_the_rules_know() -> None:
    schema = _load("accelerate-config")
    assert set(CLUSTER_CONFIG_KEYS) <= set(schema["properties"])
    for section, (_prefix, keys) in SUB_KEYS.items():
        assert keys <= set(schema["properties"][section]["properties"]), section


def _leaves(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], set[str]]]:
    """(key path, JSON types) of every property of the OmegaConf schemas, sections included."""
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf", [prop])
        types = {b["type"] for b in branches if isinstance(b.get("type"), str) and "$ref" not in b}
        types |= {type(b["const"]).__name__ for b in branches if "const" in b}
        yield (*path, name), types
        for b in branches:
            if b.get("type") == "object":
                yield from _leaves(b, (*path, name))


def _put(base: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    out = copy.deepcopy(base)
    node = out
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("name", OMEGACONF_SCHEMAS)
def test_every_value_of_an_omegaconf_schema_may_be_an_interpolation(name: str) -> None:
    """OmegaConf resolves `${...}` when the config loads: an editor must not flag one where an
    integer, boolean, section or allowed word is expected; a plain wrong string stays an error."""
    schema = _load(name)
    validator = _validator(schema)
    assert validator.is_valid(MINIMAL[name])
    checked = 0
    for path, types in _leaves(schema):
        if types == {"string"} or not types:
            continue
        checked += 1
        for value in ("${train.x}", "${..batch}", "${include:data.yaml}", "${oc.env:BS,4}"):
            instance = _put(MINIMAL[name], path, value)
            assert validator.is_valid(instance), (path, value)
            assert quick_valid(schema, instance), (path, value)
        wrong = _put(MINIMAL[name], path, "not-${interpolated}")
        assert not validator.is_valid(wrong), path
        assert not quick_valid(schema, wrong), path
    assert checked >= 8


def test_musetalk_fp32_is_accepted_and_a_real_mistake_still_reported() -> None:
    schema = _load("animateanyone-train")
    ok = {"data": {"train_bs": 2}, "solver": {"mixed_precision": "fp32", "gradient_accumulation_steps": 8}}
    assert violations(schema, ok) == []
    bad = violations(schema, {"data": {"train_bs": "${x}"}, "solver": {"mixed_precision": "fp64", "gradient_checkpointing": "yes"}})
    assert [(v.path, v.message) for v in bad] == [
        (("solver", "gradient_checkpointing"), "'yes' is not of type 'boolean'"),
        (("solver", "mixed_precision"), "'fp64' is not one of ['no', 'fp16', 'bf16', 'fp8', 'fp32', None]"),
    ]


def _vocabulary(schema: dict[str, Any]) -> tuple[list[str], list[object]]:
    keys: set[str] = {"unknown_key"}
    consts: list[object] = []
    for _where, sub in _subschemas(schema):
        keys |= set(sub.get("properties", {}))
        consts += [sub["const"]] if "const" in sub else []
    return sorted(keys), consts


def _instances(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Configs made of the schema's own keys and constants, and values that break it."""
    keys, consts = _vocabulary(schema)
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 70000),
        st.floats(allow_nan=False, width=32),
        st.sampled_from(consts + ["auto", "no", "NO", "fp32", "all", "0,1", "x", "${a.b}", "${x}y", "a${x}"]),
    )
    values = st.recursive(
        scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(keys), inner, max_size=4)), max_leaves=10
    )
    return st.dictionaries(st.sampled_from(keys), values, max_size=6)


def _local(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    refs = [sub["$ref"] for _w, sub in _subschemas(schema) if "$ref" in sub]
    if any(not ref.startswith("#/") for ref in refs):
        pytest.skip("refers to another schema file: always validated by jsonschema")
    return schema


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_quick_validator_agrees_with_jsonschema(path: Path) -> None:
    schema = _local(path)
    validator = _validator(schema)

    @settings(max_examples=300, deadline=None)
    @given(_instances(schema))
    def agree(instance: dict[str, Any]) -> None:
        assert quick_valid(schema, instance) == validator.is_valid(instance), instance

    agree()


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_the_compiled_quick_validator_answers_as_the_keyword_reader(path: Path) -> None:
    """A schema the package ships (load_schema) is checked by its compiled form: on the same generated
    instances it answers as the validator that reads the keywords on each call, and as jsonschema."""
    schema = _local(path)
    shipped = schema_check.load_schema(path.name.removesuffix(".schema.json"))
    assert id(shipped) in schema_check._TABLES  # (the compiled form is the one asked)
    validator = _validator(schema)

    @settings(max_examples=300, deadline=None)
    @given(_instances(schema))
    def agree(instance: dict[str, Any]) -> None:
        assert quick_valid(shipped, instance) == schema_check._interpreted(schema, instance) == validator.is_valid(instance), instance

    agree()


def _bounds(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], float]]:
    """(key path, bound) of every numeric bound (minimum, maximum and their exclusive forms) on a property."""
    for name, prop in schema.get("properties", {}).items():
        for branch in [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]:
            for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(branch.get(keyword), int | float) and not isinstance(branch.get(keyword), bool):
                    yield (*path, name), branch[keyword]
            if branch.get("type") == "object" or "properties" in branch:
                yield from _bounds(branch, (*path, name))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_the_quick_validators_read_each_bound_as_jsonschema(path: Path) -> None:
    """At every numeric bound of a shipped schema, one below it, on it and one above it (and halfway, for
    a number): the compiled validator, the keyword reader and jsonschema give the same answer. Generated
    instances rarely land on a bound, where an off-by-one (`>` for `>=`) would hide."""
    schema = _local(path)
    shipped = schema_check.load_schema(path.name.removesuffix(".schema.json"))
    validator = _validator(schema)
    base = MINIMAL.get(path.name.removesuffix(".schema.json"), {})
    bounds = list(_bounds(schema))
    if not bounds:
        pytest.skip("no numeric bound")
    for where, bound in bounds:
        for value in (bound - 1, bound, bound + 1, bound - 0.5, bound + 0.5):
            instance = _put(base, where, value)
            expected = validator.is_valid(instance)
            assert quick_valid(shipped, instance) == expected, (where, value)
            assert schema_check._interpreted(schema, instance) == expected, (where, value)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_failures_are_explained_as_jsonschema_explains_them(path: Path) -> None:
    """`check` explains a schema failure without importing jsonschema: the same errors, in the same
    order, with the same messages, as jsonschema's own."""
    schema = _local(path)
    if not schema_check.explainable(schema):
        pytest.skip("uses keywords only jsonschema explains")
    validator = _validator(schema)

    def theirs(instance: dict[str, Any]) -> list[tuple[object, ...]]:
        return [(v.path, v.message, v.keyword, v.key) for e in validator.iter_errors(instance) for v in schema_check._explain(e)]

    failing = []

    @settings(max_examples=400, deadline=None)
    @given(_instances(schema))
    def agree(instance: dict[str, Any]) -> None:
        ours = [(v.path, v.message, v.keyword, v.key) for v in violations(schema, instance)]
        assert ours == theirs(instance), instance
        failing.append(bool(ours))

    agree()
    assert sum(failing) >= 100  # most of the instances break the schema somewhere


# --------------------------------------------------------------------------- the real configs

DIALECT_SCHEMA = {
    "accelerate": "accelerate-config",
    "deepspeed-json": "deepspeed-config",
    "musev-omegaconf": "musev-train",
    "animateanyone-omegaconf": "animateanyone-train",
}


def _corpus_files(name: str) -> list[Path]:
    """Files of the shared corpora whose manifest `dialect` has this schema. Decoys (a file of
    another kind that looks alike) and include targets (a fragment such as MuseV's dataset block,
    not a whole config) are not configs of the dialect."""
    shared = CORPUS.parent
    found = []
    for corpus in ("corpus", "corpus2"):
        manifest = shared / corpus / "manifest.json"
        if not manifest.is_file():
            continue
        entries = json.loads(manifest.read_text(encoding="utf-8"))
        included = {inc["resolves_to"] for e in entries for inc in (e.get("facts") or {}).get("includes", [])}
        found += [
            shared / corpus / e["file"] for e in entries if DIALECT_SCHEMA.get(e["dialect"]) == name and e.get("kind") != "decoy" and e["file"] not in included
        ]
    return found


def _as_the_consumer_reads_it(path: Path, name: str) -> object:
    """accelerate: PyYAML (json for .json); DeepSpeed: json; MuseV/AnimateAnyone: OmegaConf, unresolved."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    if name in OMEGACONF_SCHEMAS:
        from omegaconf import OmegaConf

        return OmegaConf.to_container(OmegaConf.create(text), resolve=False)
    import yaml

    return yaml.safe_load(text)


def _check_jsonschema(schema: Path, files: list[Path]) -> dict[str, Any]:
    exe = Path(sys.executable).parent / "check-jsonschema"
    if not exe.exists():
        found = shutil.which("check-jsonschema")
        if found is None:
            pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
        exe = Path(found)
    result = subprocess.run([str(exe), "--output-format", "json", "--schemafile", str(schema), *map(str, files)], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(set(DIALECT_SCHEMA.values())))
def test_check_jsonschema_accepts_every_real_config(name: str, tmp_path: Path) -> None:
    """Two readings of each file: the editor's (check-jsonschema reads YAML 1.2 with ruamel.yaml, as
    yaml-language-server does) and the consumer's (PyYAML for accelerate, OmegaConf for the training
    configs). Neither may be rejected. A file the editor's reader cannot parse at all (accelerate's
    own SageMaker test config repeats a key, which PyYAML accepts) is checked in the consumer's reading."""
    files = _corpus_files(name)
    if not files:
        pytest.skip(f"shared corpora not present next to {CORPUS}")
    schema = REPO / "schemas" / f"{name}.schema.json"
    editor = _check_jsonschema(schema, files)
    assert editor["errors"] == [], json.dumps(editor["errors"], indent=1)
    consumer_files = []
    for i, path in enumerate(files):
        out = tmp_path / f"{i}-{path.stem}.json"
        out.write_text(json.dumps(_as_the_consumer_reads_it(path, name)), encoding="utf-8")
        consumer_files.append(out)
    consumer = _check_jsonschema(schema, consumer_files)
    assert consumer["errors"] == [] and consumer.get("parse_errors", []) == [], json.dumps(consumer, indent=1)


def test_every_keyword_is_explained_as_jsonschema_explains_it() -> None:
    """Keywords the shipped schemas use rarely or not at all, on instances that break each one."""
    schema = {
        "$schema": JSON_SCHEMA_DRAFT,
        "definitions": {"small": {"type": "integer", "maximum": 3}},
        "type": "object",
        "required": ["a", "b"],
        "properties": {
            "a": {"const": 4},
            "b": {"$ref": "#/definitions/small", "minimum": 100},  # draft 7: the sibling is ignored
            "c": {"oneOf": [{"type": "integer"}, {"type": "number"}, {"const": "x"}]},
            "d": {"allOf": [{"type": "number", "exclusiveMinimum": 0}, {"exclusiveMaximum": 10}]},
            "e": {"items": [{"type": "string"}, {"enum": ["p", "q"]}]},
            "f": {"items": {"type": "string", "pattern": "^v"}},
            "g": {"type": ["string", "null"], "enum": ["s", None]},
            "h": {"additionalProperties": {"type": "boolean"}, "properties": {"k": {}}},
            "i": {"anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": False, "properties": {"j": {"type": "integer"}}}]},
            "j": False,
        },
        "additionalProperties": False,
    }
    assert schema_check.explainable(schema)
    validator = _validator(schema)
    instances = [
        {},
        {"a": 4.0, "b": 2, "z": None},
        {"a": True, "b": 200, "c": 2, "d": 0, "e": [1, "r", 3], "f": ["v1", "w", 3], "g": "t", "h": {"k": 1, "m": 2, "n": True}},
        {"a": "4", "b": "x", "c": 2.5, "d": 10, "e": ["s"], "g": 5, "i": {"j": "1", "z": 1, "y": 2}, "j": 1, "z": 0},
        {"c": "x", "d": -1, "i": 3, "e": "not a list"},
        [1, 2],
    ]
    for instance in instances:
        theirs = [(v.path, v.message, v.keyword, v.key) for e in validator.iter_errors(instance) for v in schema_check._explain(e)]
        assert [(v.path, v.message, v.keyword, v.key) for v in violations(schema, instance)] == theirs, instance
        assert theirs

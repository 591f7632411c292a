"""The JSON Schemas: valid against the 2020-12 metaschema, shipped in the package, in step with the
rule tables, and the built-in quick validator agrees with jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.dialects.accelerate import CLUSTER_CONFIG_KEYS
from batchlint.rules.accelerate import SUB_KEYS
from batchlint.schema_check import quick_valid
from tests.conftest import CORPUS, REPO

SCHEMAS = sorted((REPO / "schemas").glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_valid_against_the_metaschema_and_shipped(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    shipped = REPO / "batchlint" / "schemas" / path.name
    assert shipped.read_bytes() == path.read_bytes(), f"stale copy: cp schemas/{path.name} batchlint/schemas/"


def test_accelerate_schema_knows_every_key_the_rules_know() -> None:
    schema = json.loads((REPO / "schemas" / "accelerate-config.schema.json").read_text(encoding="utf-8"))
    assert set(CLUSTER_CONFIG_KEYS) <= set(schema["properties"])
    for section, (_prefix, keys) in SUB_KEYS.items():
        assert keys <= set(schema["properties"][section]["properties"]), section


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.floats(allow_nan=False, width=32),
                    st.sampled_from(["auto", "no", "NO", "fp16", "fp32", "all", "0,1", "DEEPSPEED", "MULTI_GPU", "cpu", "x"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
    st.sampled_from(["stage", "enabled", "device", "zero_stage", "fsdp_version", "gradient_accumulation_steps", "other"]),
    inner, max_size=3)), max_leaves=8)


def _instances(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = list(schema.get("properties", {})) + ["unknown_key"]
    return st.dictionaries(st.sampled_from(keys), values, max_size=6)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_quick_validator_agrees_with_jsonschema(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    if "$ref" in json.dumps(schema):
        pytest.skip("uses $ref: always validated by jsonschema")
    validator = jsonschema.Draft202012Validator(schema)

    @settings(max_examples=300, deadline=None)
    @given(_instances(schema))
    def agree(instance: dict[str, Any]) -> None:
        assert quick_valid(schema, instance) == validator.is_valid(instance), instance

    agree()


def test_corpus_accelerate_and_deepspeed_files_validate_or_are_explained(corpus: Path) -> None:
    """The accelerate templates validate; hits elsewhere are what BL007/AC rules report."""
    schema = json.loads((REPO / "schemas" / "accelerate-config.schema.json").read_text(encoding="utf-8"))
    import yaml

    for path in (CORPUS / "huggingface/accelerate/examples/config_yaml_templates").glob("*.yaml"):
        assert jsonschema.Draft202012Validator(schema).is_valid(yaml.safe_load(path.read_text(encoding="utf-8"))), path.name

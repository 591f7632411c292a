"""Property tests: every scalar's span points at its own text, and values equal the reference
loaders (PyYAML safe_load for YAML, json.loads for JSON), whatever the layout."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading import load_text
from batchlint.loading.nodes import Mapping, Node, Scalar, Sequence

keys = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Lo"), whitelist_characters="_"), min_size=1, max_size=8)
scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)
trees = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)), max_leaves=20)
documents = st.dictionaries(keys, trees, min_size=1, max_size=6)


def to_python(node: Node | None) -> Any:
    if isinstance(node, Mapping):
        return {k.value if isinstance(k, Scalar) else None: to_python(v) for k, v in node.items}
    if isinstance(node, Sequence):
        return [to_python(item) for item in node.items]
    return None if node is None else node.value


def scalars_of(node: Node | None) -> list[Scalar]:
    if isinstance(node, Mapping):
        return [s for k, v in node.items for s in scalars_of(k) + scalars_of(v)]
    if isinstance(node, Sequence):
        return [s for item in node.items for s in scalars_of(item)]
    return [node] if isinstance(node, Scalar) else []


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from([None, True, False]), st.booleans(), st.booleans())
def test_yaml_values_and_spans(doc: dict[str, Any], flow: bool | None, crlf: bool, bom: bool) -> None:
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text
    loaded = load_text("g.yaml", text)
    assert to_python(loaded.root) == yaml.safe_load(text.lstrip("\ufeff"))
    lines = text.split("\n")
    for scalar in scalars_of(loaded.root):
        source = text[scalar.span.start : scalar.span.end]
        if scalar.style == "" and "\n" not in source:
            assert source == scalar.raw
        # line/column agree with the offset
        line_text = lines[scalar.span.line - 1]
        offset_in_line = scalar.span.start - sum(len(line) + 1 for line in lines[: scalar.span.line - 1])
        bom_shift = 1 if bom and scalar.span.line == 1 else 0  # columns do not count an invisible BOM
        assert offset_in_line - bom_shift == scalar.span.column - 1
        assert line_text[scalar.span.column - 1 + bom_shift :].startswith(source.split("\n")[0].rstrip("\r")[:5])


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from([None, 1, 2, "\t"]), st.booleans())
def test_json_values_and_spans(doc: dict[str, Any], indent: int | str | None, bom: bool) -> None:
    text = ("\ufeff" if bom else "") + json.dumps(doc, indent=indent, ensure_ascii=False)
    loaded = load_text("g.json", text)
    assert to_python(loaded.root) == json.loads(text.lstrip("\ufeff"))
    for scalar in scalars_of(loaded.root):
        source = text[scalar.span.start : scalar.span.end]
        assert json.loads(source) == scalar.value


def test_duplicate_keys_are_recorded_not_lost() -> None:
    doc = load_text("d.yaml", "a: 1\nb:\n  c: 1\n  c: 2\n")
    assert [(d.key, d.path, d.first.line, d.again.line) for d in doc.duplicates] == [("c", "b", 3, 4)]
    assert isinstance(doc.root, Mapping)
    inner = doc.root.get("b")
    assert isinstance(inner, Mapping) and isinstance(inner.get("c"), Scalar)
    assert inner.get("c").value == 2  # type: ignore[union-attr]  # like PyYAML: the last one wins
    jdoc = load_text("d.json", '{"a": 1, "a": 2}')
    assert [(d.key, d.first.column, d.again.column) for d in jdoc.duplicates] == [("a", 2, 10)]


def test_merge_keys_are_followed() -> None:
    doc = load_text("m.yaml", "base: &b\n  train_batch_size: 4\ntrain:\n  <<: *b\n  gradient_accumulation_steps: 2\n")
    assert isinstance(doc.root, Mapping)
    train = doc.root.get("train")
    assert isinstance(train, Mapping)
    assert train.get("train_batch_size").value == 4  # type: ignore[union-attr]
    assert train.keys() == ["gradient_accumulation_steps"]


def test_comments_skip_quotes_and_block_scalars() -> None:
    text = 'a: "x # not a comment" # real\nb: |\n  # inside a block\nc: 1 # 单机\n'
    doc = load_text("c.yaml", text)
    assert [(c.line, c.column, c.text) for c in doc.comments] == [(1, 24, "# real"), (4, 6, "# 单机")]

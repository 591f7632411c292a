"""Differential test of the YAML event loop: the positioned tree, its duplicate keys and its unknown
tags against an oracle built from PyYAML's own composer (pure Python, `yaml.compose`), on generated
files with repeated keys, anchors, aliases, merge keys, tags, quoting, block scalars and flow style."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading.nodes import LoadError, Mapping, Node, Scalar, Sequence, Span
from batchlint.loading.yaml import MarkSpan, load_yaml

_PREFIX = "tag:yaml.org,2002:"
_SAFE = {_PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "map", "seq", "omap", "pairs", "set", "merge", "value")}
# Keys from a small pool, so that a mapping often repeats one (twice, three times).
KEYS = ["a", "b", "1", "true", "'a'", '"b"', "x y"]
SCALARS = ["1", "0", "007", "1e-5", "3.5", "yes", "No", "~", "null", "", "x", "${a.b}", "2001-12-14"]
SCALARS += ["!!str 5", "!!int 12", "!!float 1", "!custom v", '"q"', "'s'", "<<"]
SCALARS += ["1_000.5", ".nan", "-.inf", "1:30.5", "-.5", "1.e+5", "0x1f", "0o17", "+12", "1_000", "0b101", "190:20:30"]


@st.composite
def yaml_text(draw: st.DrawFn) -> str:
    anchors: list[str] = []

    def value(depth: int, indent: int) -> str:
        """A value written after `key:` or `- ` (starting on the same line, block content on the next ones)."""
        kind = draw(st.sampled_from(["scalar", "scalar", "block", "alias", "map", "seq", "flow"] if depth < 3 else ["scalar", "alias", "flow"]))
        if kind == "alias" and anchors:
            return " *" + draw(st.sampled_from(anchors)) + "\n"
        anchor = ""
        if draw(st.integers(0, 4)) == 0:
            anchor = f" &n{len(anchors)}"
        pad = " " * (indent + 2)
        if kind == "block":
            text = f"{anchor} {draw(st.sampled_from(['|', '>', '|-']))}\n{pad}one\n{pad}two\n"
        elif kind == "map":
            text = anchor + "\n" + mapping(depth + 1, indent + 2)
        elif kind == "seq":
            items = draw(st.integers(1, 3))
            text = anchor + "\n" + "".join(f"{pad}-{value(depth + 1, indent + 2)}" for _ in range(items))
        elif kind == "flow":
            parts = draw(st.lists(st.sampled_from(["1", "x", "'q'", "{a: 1}", "{a: 1, a: 2}", "[]"]), max_size=3))
            text = f"{anchor} [{', '.join(parts)}]\n" if draw(st.booleans()) else f"{anchor} {{{', '.join(f'k{i}: {p}' for i, p in enumerate(parts))}}}\n"
        else:
            text = f"{anchor} {draw(st.sampled_from(SCALARS))}\n"
        if anchor:
            anchors.append(anchor[2:])
        return text

    def mapping(depth: int, indent: int) -> str:
        out = ""
        for _ in range(draw(st.integers(1, 5))):
            if anchors and draw(st.integers(0, 6)) == 0:
                out += " " * indent + "<<: *" + draw(st.sampled_from(anchors)) + "\n"
            else:
                out += " " * indent + draw(st.sampled_from(KEYS)) + ":" + value(depth, indent)
        return out

    return "# generated\n" + mapping(0, 0)


def _span(node: Any) -> tuple[int, int, int, int, int, int]:
    s, e = node.start_mark, node.end_mark
    return (s.line + 1, s.column + 1, e.line + 1, e.column + 1, s.index, e.index)


def _value(node: yaml.ScalarNode) -> object:
    if node.tag not in _SAFE or node.tag in (_PREFIX + "merge", _PREFIX + "value"):
        return node.value
    return yaml.constructor.SafeConstructor().construct_object(node)


def _compare(ours: Node, theirs: Any, path: str, pairs: dict[int, int], duplicates: list[tuple[str, str, tuple[int, ...], tuple[int, ...]]]) -> None:
    """`ours` is the node PyYAML composed as `theirs`; the duplicate keys of `theirs` are collected as the loader records them."""
    if id(ours) in pairs:  # an alias: the shared node, never a copy
        assert pairs[id(ours)] == id(theirs)
        return
    pairs[id(ours)] = id(theirs)
    assert ours.span.site() == f"t.yaml:{theirs.start_mark.line + 1}"  # (read first: from the marks, before the span is computed)
    assert (ours.span.line, ours.span.column, ours.span.end_line, ours.span.end_column, ours.span.start, ours.span.end) == _span(theirs)
    if isinstance(theirs, yaml.ScalarNode):
        assert isinstance(ours, Scalar)
        assert (ours.raw, ours.tag, ours.style) == (theirs.value, theirs.tag, theirs.style or "")
        want = _value(theirs)
        assert type(ours.value) is type(want) and repr(ours.value) == repr(want)  # (repr: nan, -0.0)
    elif isinstance(theirs, yaml.SequenceNode):
        assert isinstance(ours, Sequence) and len(ours.items) == len(theirs.value)
        for mine, other in zip(ours.items, theirs.value, strict=True):
            _compare(mine, other, path, pairs, duplicates)
    else:
        assert isinstance(ours, Mapping) and len(ours.items) == len(theirs.value)
        first: dict[str, Any] = {}
        for (key, val), (other_key, other_val) in zip(ours.items, theirs.value, strict=True):
            _compare(key, other_key, path, pairs, duplicates)
            text = None
            if isinstance(other_key, yaml.ScalarNode) and other_key.tag != _PREFIX + "merge":
                built = _value(other_key)
                text = built if isinstance(built, str) else other_key.value
                if text in first:
                    duplicates.append((text, path, _span(first[text]), _span(other_key)))
                else:
                    first[text] = other_key
                assert ours.key_node(text) is not None
            child = path if text is None else (f"{path}.{text}" if path else text)
            _compare(val, other_val, child, pairs, duplicates)


def _unknown_tags(node: Any, out: set[tuple[str, tuple[int, ...]]], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.tag not in _SAFE:
        out.add((node.tag, _span(node)))
    if not isinstance(node, yaml.ScalarNode):
        for child in node.value:
            for part in child if isinstance(child, tuple) else (child,):
                _unknown_tags(part, out, seen)


@settings(max_examples=300, deadline=None)
@given(yaml_text())
def test_the_event_loop_builds_what_pyyamls_composer_composes(text: str) -> None:
    try:
        theirs = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        with pytest.raises(LoadError):
            load_yaml("t.yaml", text)
        return
    doc = load_yaml("t.yaml", text)
    assert doc.root is not None and theirs is not None
    duplicates: list[tuple[str, str, tuple[int, ...], tuple[int, ...]]] = []
    _compare(doc.root, theirs, "", {}, duplicates)
    ours = [(d.key, d.path, (d.first.line, d.first.column, d.first.end_line, d.first.end_column, d.first.start, d.first.end)) for d in doc.duplicates]
    again = [(d.again.line, d.again.column, d.again.end_line, d.again.end_column, d.again.start, d.again.end) for d in doc.duplicates]
    assert sorted(zip(ours, again, strict=True)) == sorted(((k, p, f), a) for k, p, f, a in duplicates)
    unknown: set[tuple[str, tuple[int, ...]]] = set()
    _unknown_tags(theirs, unknown, set())
    assert {(tag, (s.line, s.column, s.end_line, s.end_column, s.start, s.end)) for tag, s in doc.unsafe_tags} == unknown


def test_a_key_written_three_times_is_recorded_twice_against_the_first() -> None:
    doc = load_yaml("t.yaml", "a: 1\nb:\n  a: 2\na: 3\na: 4\n")
    assert [(d.key, d.path, d.first.line, d.again.line) for d in doc.duplicates] == [("a", "", 1, 4), ("a", "", 1, 5)]
    root = doc.root
    assert isinstance(root, Mapping)
    value = root.get("a")
    assert isinstance(value, Scalar) and value.value == 4  # the last one wins, as in PyYAML


def test_a_lazy_spans_site_is_read_from_its_marks_and_it_becomes_a_plain_span_once_computed() -> None:
    doc = load_yaml("t.yaml", "\ufeffa:\n  b: ${x}\n  c: |\n    1\n")
    root = doc.root
    assert isinstance(root, Mapping)
    inner = root.get("a")
    assert isinstance(inner, Mapping)
    for node, line in ((inner.get("b"), 2), (inner.get("c"), 3), (inner, 2)):
        assert node is not None
        span = node.span
        assert span.site() == f"t.yaml:{line}" and getattr(span, "_marks", None) is not None  # not computed by site()
        assert type(span) is MarkSpan
        assert span.line == line and span.site() == f"t.yaml:{line}"
        assert type(span) is Span and span == Span(
            span.file, span.line, span.column, span.end_line, span.end_column, span.start, span.end
        )  # computed: a plain Span now

"""Differential: the resolver's inlined hot paths (the key walk, the read of a scalar's value, the
whole-file pass over each mapping's index, the include path arithmetic) give what the plain
versions they replace give, on generated configs with interpolations, includes, merge keys,
repeated keys, lists and integer-looking keys."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.loading import load_path
from batchlint.loading.nodes import Document, Mapping, Node, Scalar, Sequence
from batchlint.model import Semantics
from batchlint.resolve import ConfigTree, KeyPath, Problem, Resolved, _include_paths, scalar_value


class PlainTree(ConfigTree):
    """ConfigTree with the plain versions of what ConfigTree inlines."""

    def _node_at(self, path: KeyPath) -> tuple[Node | None, Resolved | None]:
        cur: Node | None = self.doc.root
        for i, part in enumerate(path):
            if isinstance(cur, Scalar):
                res = self.resolve(path[:i])
                if res.container is None:
                    return None, res if res.problem else None
                cur = res.container
            if isinstance(cur, Mapping):
                cur = cur.get(str(part))
            elif isinstance(cur, Sequence) and isinstance(part, int):
                cur = cur.items[part] if 0 <= part < len(cur.items) else None
            else:
                cur = None
            if cur is None:
                return None, None
        return cur, None

    def _resolve_node(self, path: KeyPath, node: Node | None) -> Resolved:
        if node is None or not isinstance(node, Scalar):
            return super()._resolve_node(path, node)
        value = scalar_value(node, self.semantics)
        if self.semantics != Semantics.OMEGACONF or not isinstance(value, str) or "${" not in value:
            result = Resolved(value, node, path)
            self.memo[path] = result
            return result
        return super()._resolve_node(path, node)  # (an interpolation: the same code from here on)

    def _walk_all(self, node: Node | None, path: KeyPath, depth: int, problems: list[Problem], seen_spans: set[tuple[str, int]], visited: set[int]) -> None:
        if node is None or depth > 200 or id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, Mapping):
            for key, value in node.entries():
                if not isinstance(value, Scalar) or isinstance(value.value, str) and "${" in value.value:
                    self._walk_all(value, (*path, key), depth + 1, problems, seen_spans, visited)
        elif isinstance(node, Sequence):
            for i, item in enumerate(node.items):
                if not isinstance(item, Scalar) or isinstance(item.value, str) and "${" in item.value:
                    self._walk_all(item, (*path, i), depth + 1, problems, seen_spans, visited)
        elif isinstance(node.value, str) and "${" in node.value:
            self._walk_site(node, path, depth, problems, seen_spans, visited)  # (the branch as it was, moved into a method unchanged)


KEYS = ["a", "b", "1", "x"]
REFS = [
    "${a}",
    "${b.a}",
    "${.a}",
    "${..x}",
    "${a.1}",
    "${x.0}",
    "${b.1.a}",
    "${missing}",
    "${include:part.yaml}",
    "${include:none.yaml}",
    "pre_${a}_${.b}",
    "${merged.a}",
    "${merged.x}",
]
LEAVES = ["1", "2.5", "1e-5", "'q'", "true", "2001-12-14", "text", "${oc.env:NOPE,3}"] + REFS


@st.composite
def config(draw: st.DrawFn) -> str:
    def mapping(depth: int, indent: int) -> str:
        out = ""
        for _ in range(draw(st.integers(1, 4))):
            pad = " " * indent
            key = draw(st.sampled_from(KEYS))
            kind = draw(st.sampled_from(["leaf", "leaf", "map", "seq"] if depth < 2 else ["leaf"]))
            if kind == "map":
                out += f"{pad}{key}:\n" + mapping(depth + 1, indent + 2)
            elif kind == "seq":
                out += f"{pad}{key}:\n" + "".join(f"{pad}  - {leaf}\n" for leaf in draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=3)))
            else:
                out += f"{pad}{key}: {draw(st.sampled_from(LEAVES))}\n"
        return out

    text = mapping(0, 0)
    if draw(st.booleans()):
        text = "base: &base\n  a: 7\n  x: &i ${a}\n  y: ${b}\nmerged:\n  <<: *base\n  b: 1\n  again: *i\nlist:\n  - *i\n  - *base\n" + text
    return text


def _view(res: Resolved | None) -> object:
    if res is None:
        return None
    problem = None if res.problem is None else (res.problem.kind, res.problem.message, res.problem.span)
    return (repr(res.value), id(res.origin), res.origin_path, id(res.container), res.hops, problem, res.composite)


def _paths(node: Node | None, path: KeyPath, out: list[KeyPath], depth: int = 0) -> None:
    out.append(path)
    if depth > 4:
        return
    if isinstance(node, Mapping):
        for key, value in node.entries():
            _paths(value, (*path, key), out, depth + 1)
            _paths(None, (*path, key, "nope"), out, depth + 1)
        for key in KEYS:  # (also the keys a merge brings in, which entries() leaves out)
            if node.key_node(key) is None:
                _paths(node.get(key), (*path, key), out, depth + 1)
    elif isinstance(node, Sequence):
        for i, item in enumerate(node.items):
            _paths(item, (*path, i), out, depth + 1)


@settings(max_examples=200, deadline=None)
@given(config())
def test_the_inlined_resolver_resolves_as_the_plain_one(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _compare_trees(text, Path(tmp))


def _compare_trees(text: str, tmp_path: Path) -> None:
    (tmp_path / "part.yaml").write_text("a: 5\nx: [1, 2]\n", encoding="utf-8")
    train = tmp_path / "train.yaml"
    train.write_text(text, encoding="utf-8")
    docs: dict[str, Document] = {}

    def load(path: str) -> Document:
        if path not in docs:
            docs[path] = load_path(path)
        return docs[path]

    doc = load(str(train))
    fast = ConfigTree(doc, str(train), Semantics.OMEGACONF, load)
    plain = PlainTree(doc, str(train), Semantics.OMEGACONF, load)
    assert [_view(Resolved(problem=p)) for p in fast.resolve_all()] == [_view(Resolved(problem=p)) for p in plain.resolve_all()]
    assert list(fast.memo) == list(plain.memo) and fast.readers == plain.readers  # (the same values resolved, in the same order)
    paths: list[KeyPath] = []
    _paths(doc.root, (), paths)
    for path in paths:
        assert _view(fast.resolve(path)) == _view(plain.resolve(path)), path
        dotted = ".".join(str(p) for p in path)
        if dotted:
            assert _view(fast.get(dotted)) == _view(plain.get(dotted)), dotted
    assert fast.readers == plain.readers
    assert fast.include_chains == plain.include_chains


names = st.lists(st.sampled_from(["a", "..", ".", "b.yaml", "", "c"]), min_size=1, max_size=4).map("/".join)


@given(st.sampled_from(["cfg", "/p/q", "../up", "./a/..", "", "inc", "/abs/inc"]), names, st.booleans())
def test_include_paths_are_the_os_path_arithmetic(base: str, name: str, absolute: bool) -> None:
    name = "/" + name if absolute else name
    cwd = os.getcwd()
    target = os.path.normpath(os.path.join(base, name))
    shown = os.path.relpath(target, cwd) if not os.path.isabs(name) else target
    assert _include_paths(base, name, cwd) == (target, shown, os.path.abspath(target))


def _plain_reading_difference(node: Scalar) -> str | None:
    """reading_difference as it was before its shortcut."""
    if node.style != "":
        return None
    yaml11 = node.value
    omega = scalar_value(node, Semantics.OMEGACONF)
    if type(yaml11) is type(omega) and yaml11 == omega:
        return None
    return f"`{node.raw}` is {type(omega).__name__} {omega!r} to OmegaConf but {type(yaml11).__name__} {yaml11!r} to PyYAML (YAML 1.1)"


RAWS = ["1e-5", "1E5", "1.5", ".nan", ".NaN", ".inf", "-.inf", "1_000", "1:30", "190:20:30.15", "2001-12-14", "2001-12-14t21:59:43.10-05:00"]
RAWS += ["0x1f", "0o17", "017", "yes", "off", "~", "null", "", "abc", "1e", "+1.0e+3", "'1e-5'", '"2001-12-14"', "!!str 1e-5", "!!float 1", "!x 1e-5"]


@given(st.lists(st.sampled_from(RAWS), min_size=1, max_size=8))
def test_reading_difference_is_the_plain_one(raws: list[str]) -> None:
    from batchlint.loading.yaml import load_yaml
    from batchlint.resolve import reading_difference

    doc = load_yaml("t.yaml", "".join(f"k{i}: {raw}\n" for i, raw in enumerate(raws)))
    assert isinstance(doc.root, Mapping)
    for _, value in doc.root.entries():
        assert isinstance(value, Scalar)
        assert reading_difference(value) == _plain_reading_difference(value), value.raw

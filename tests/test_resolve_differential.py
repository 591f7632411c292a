"""Differential: batchlint's resolution equals OmegaConf's own, leaf by leaf.

Every OmegaConf file of ../shared/corpus plus the bundled example, with an `include` resolver
registered the way MuseV's train.py does (load the named file from the config's directory).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from batchlint.loading import load_path
from batchlint.loading.nodes import Mapping, Sequence
from batchlint.resolve import ConfigTree, KeyPath
from tests.conftest import CORPUS, REPO

omegaconf = pytest.importorskip("omegaconf")
OmegaConf = omegaconf.OmegaConf


def _files() -> list[Path]:
    files = [REPO / "examples/musev/train.yaml"]
    manifest = CORPUS / "manifest.json"
    if manifest.is_file():
        for entry in json.loads(manifest.read_text(encoding="utf-8")):
            if entry["dialect"].endswith("-omegaconf"):
                files.append(CORPUS / entry["file"])
    return files


def omegaconf_leaves(path: Path) -> dict[KeyPath, Any]:
    directory = path.parent
    OmegaConf.clear_resolver("include")
    # MuseV's train.py: OmegaConf.register_new_resolver("include", ...); renamed in OmegaConf 2.4.
    register = getattr(OmegaConf, "register_resolver", None) or OmegaConf.register_new_resolver
    register("include", lambda name: OmegaConf.load(directory / name))
    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    out: dict[KeyPath, Any] = {}

    def walk(node: Any, prefix: KeyPath) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, prefix + (str(k),))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, prefix + (i,))
        else:
            out[prefix] = node

    walk(cfg, ())
    return out


def batchlint_leaves(path: Path) -> dict[KeyPath, Any]:
    doc = load_path(str(path))
    tree = ConfigTree(doc, str(path), "omegaconf", load_path)
    assert tree.resolve_all() == []
    out: dict[KeyPath, Any] = {}

    def walk(node: Any, prefix: KeyPath) -> None:
        if isinstance(node, Mapping):
            for key in node.keys():
                walk(node.get(key), prefix + (key,))
        elif isinstance(node, Sequence):
            for i, item in enumerate(node.items):
                walk(item, prefix + (i,))
        else:
            res = tree.resolve(prefix)
            assert res.problem is None, res.problem
            if res.container is not None:
                walk(res.container, prefix)
            else:
                out[prefix] = res.value

    walk(doc.root, ())
    return out


@pytest.mark.parametrize("path", _files(), ids=lambda p: os.path.relpath(p, CORPUS) if CORPUS in p.parents else p.name)
def test_resolved_values_equal_omegaconf(path: Path) -> None:
    expected = omegaconf_leaves(path)
    got = batchlint_leaves(path)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == value and type(got[key]) is type(value), key


CASES = {
    "absolute": ("a: 3\nb: ${a}\n", ("b",), 3),
    "relative-sibling": ("s:\n  x: 1\n  y: ${.x}\n", ("s", "y"), 1),
    "relative-parent": ("x: 5\ns:\n  y: ${..x}\n", ("s", "y"), 5),
    "in-string": ('w: 512\nk: "w=${w}_h=${w}"\n', ("k",), "w=512_h=512"),
    "escaped": ("k: '\\${not}'\n", ("k",), "${not}"),
    "env-default": ("k: ${oc.env:BATCHLINT_SURELY_UNSET,7}\n", ("k",), "7"),
    "chained": ("a: 2\nb: ${a}\nc: ${b}\n", ("c",), 2),
    "list-index": ("l: [10, 20]\nk: ${l[1]}\n", ("k",), 20),
    "float-1e-5": ("lr: 1e-5\n", ("lr",), 1e-5),
    "nested-key": ("which: a\na: 1\nk: ${${which}}\n", ("k",), 1),
    "decode": ("k: ${oc.decode:'4'}\n", ("k",), 4),
    "bool-in-string": ("f: true\nk: x_${f}\n", ("k",), "x_True"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_grammar_cases_match_omegaconf(name: str, tmp_path: Path) -> None:
    text, key, value = CASES[name]
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    os.environ.pop("BATCHLINT_SURELY_UNSET", None)
    assert omegaconf_leaves(path)[key] == value
    got = batchlint_leaves(path)[key]
    assert got == value and type(got) is type(value)

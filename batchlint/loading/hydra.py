"""Hydra `defaults:` lists: the config a Hydra app really gets, composed from the files the list names.

`- basic` merges `basic.yaml` (beside the primary config) at the root; `- model: diffusion` merges
`model/diffusion.yaml` under `model`; `- data@data_dict: example` puts `data/example.yaml` under
`data_dict`; `_self_` is where the file's own keys go (Hydra ≥ 1.1: last when not listed, so the
file wins). `optional`, `override` and `null` entries are understood; files that are not there
are skipped (Hydra would fail, but another search path may hold them). Nested defaults lists are
followed a few levels deep.

The composed tree is made of the files' own nodes, so every value keeps the file, line and column of
its literal: a fact read from `basic.yaml` points into `basic.yaml`, and a fix edits it there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from batchlint.loading.files import is_file, list_dir
from batchlint.loading.keypath import has_defaults, node_at
from batchlint.loading.nodes import Document, LoadError, Mapping, Node, Scalar, Sequence, Span, key_text

MAX_DEPTH = 4
_ENTRY = r"^(?:(optional|override)\s+)?([\w./-]+)(?:@([\w.]+))?$"  # compiled at its first use (re's cache keeps it)


def _entries(root: Mapping) -> list[tuple[str | None, str | None, str | None]]:
    """(group, option, package) per entry; (None, None, None) for `_self_`."""
    out: list[tuple[str | None, str | None, str | None]] = []
    seq = root.get("defaults")
    if not isinstance(seq, Sequence):
        return out
    for item in seq.items:
        if isinstance(item, Scalar) and isinstance(item.value, str):
            if item.value == "_self_":
                out.append((None, None, None))
            else:
                out.append(("", item.value, None))
        elif isinstance(item, Mapping) and len(item.items) == 1:
            key, value = item.items[0]
            name = key_text(key)
            m = re.match(_ENTRY, name or "")
            if m is None or not isinstance(value, Scalar) or value.value is None or not isinstance(value.value, str):
                continue
            group, package = m.group(2), m.group(3)
            out.append((group, value.value, package if package is not None else group))
    if (None, None, None) not in out:
        out.append((None, None, None))
    return out


def _merge(into: list[tuple[Node, Node]], items: list[tuple[Node, Node]]) -> None:
    """Deep-merge mapping items, the later winning."""
    index = {key_text(k): n for n, (k, _v) in enumerate(into) if key_text(k) is not None}
    for key, value in items:
        name = key_text(key)
        if name == "defaults":
            continue
        at = index.get(name)
        if at is None:
            index[name] = len(into)
            into.append((key, value))
            continue
        old = into[at][1]
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged = Mapping(value.span, list(old.items))
            _merge(merged.items, value.items)
            into[at] = (key, merged)
        else:
            into[at] = (key, value)


def _nest(items: list[tuple[Node, Node]], package: str, span: Span) -> list[tuple[Node, Node]]:
    """A group file's items placed under its package (`a.b` nests twice; `_global_` is the root)."""
    if package in ("", "_global_"):
        return items
    for part in reversed(package.split(".")):
        items = [(Scalar(span, part, "tag:yaml.org,2002:str", "", part), Mapping(span, items))]
    return items


def compose(doc: Document, fs_path: str, load: Callable[[str], Document], depth: int = 0) -> tuple[Document, list[Document]]:
    """The composed document (same path and text, composed root) and the files it read."""
    root = doc.root
    if not isinstance(root, Mapping) or depth > MAX_DEPTH:
        return doc, []
    base = os.path.dirname(os.path.abspath(fs_path))
    items: list[tuple[Node, Node]] = []
    used: list[Document] = []
    for group, option, package in _entries(root):
        if option is None:
            _merge(items, root.items)
            continue
        rel = option if not group else f"{group}/{option}"
        path = os.path.join(base, rel if rel.endswith((".yaml", ".yml")) else rel + ".yaml")
        if not is_file(path):  # noted: a group option created later changes the composition
            continue
        try:
            part = load(path)
        except LoadError:
            continue
        composed, deeper = compose(part, path, load, depth + 1) if has_defaults(part) else (part, [])
        if not isinstance(composed.root, Mapping):
            continue
        used.extend([part, *deeper])
        _merge(items, _nest(list(composed.root.items), package or "", composed.root.span))
    merged = Mapping(root.span, items)
    return Document(doc.path, doc.text, doc.format, merged, doc.comments, doc.duplicates, doc.unsafe_tags), used


_CONFIG_DIRS = ("configs", "config", "conf", "cfg")


def find_primary(program: str, overrides: dict[str, object], bases: list[str], load: Callable[[str], Document]) -> str | None:
    """The primary config of a Hydra app launched with overrides and no config on the line
    (`train.py epochs=50 train_dataloader.batch_size=8`): among the `configs/` / `conf/` files beside
    the program that hold a defaults list, the one file in which every plain override names a key
    (Hydra refuses an override of a key that does not exist, so that is the file the app composes)."""
    plain = [key for key in overrides if "@" not in key and not key.startswith("+")]
    if len(plain) < 2:
        return None
    found: set[str] = set()
    for base in bases:
        root_dir = os.path.normpath(os.path.join(base, os.path.dirname(program)))
        for sub in _CONFIG_DIRS:
            directory = os.path.join(root_dir, sub)
            for name in list_dir(directory)[:50]:  # noted: a config created later may be the primary one
                path = os.path.join(directory, name)
                if not name.endswith((".yaml", ".yml")) or not os.path.isfile(path):
                    continue
                try:
                    doc = load(path)
                except LoadError:
                    continue
                if not has_defaults(doc):
                    continue
                composed = compose(doc, path, load)[0]
                groups = {group for group, _option, _package in _entries(doc.root) if group} if isinstance(doc.root, Mapping) else set()
                keys = [k for k in plain if k.split(".")[0] not in groups]
                if keys and all(node_at(composed.root, k) is not None for k in keys):
                    found.add(os.path.abspath(path))
        if len(found) > 1:
            return None
    return found.pop() if len(found) == 1 else None

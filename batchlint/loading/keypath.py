"""A node by its dotted key path (`a.b`, `a[0].b`), for code that reads a tree without resolving it."""

from __future__ import annotations

from batchlint.loading.nodes import Document, Mapping, Node, Sequence

# dotted key path -> its parts: a key (str) or a list index (int). A pure function of the text, kept for
# the process: every file of a dialect is asked for the same signature and key paths.
_PARTS: dict[str, tuple[str | int, ...]] = {}
_PARTS_MAX = 10_000


def _parts(dotted: str) -> tuple[str | int, ...]:
    parts = _PARTS.get(dotted)
    if parts is None:
        out: list[str | int] = []
        for part in dotted.replace("[", ".[").split("."):
            if not part:
                continue
            if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
                out.append(int(part[1:-1]))
            else:
                out.append(part)
        if len(_PARTS) > _PARTS_MAX:
            _PARTS.clear()
        parts = _PARTS[dotted] = tuple(out)
    return parts


def node_at(root: Node | None, dotted: str) -> Node | None:
    """The node at a dotted key path, or None. Keys that hold dots are not addressed."""
    node = root
    for part in _parts(dotted):
        if isinstance(part, int):
            if not isinstance(node, Sequence) or part >= len(node.items):
                return None
            node = node.items[part]
            continue
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
        if node is None:
            return None
    return node


def has_defaults(doc: Document) -> bool:
    """The file has a Hydra `defaults:` list at its root (loading/hydra.py composes it): asked of every
    config, so here, where the module that composes is not imported for the files without one."""
    root = doc.root
    return isinstance(root, Mapping) and isinstance(root.get("defaults"), Sequence)

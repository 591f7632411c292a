"""A node by its dotted key path (`a.b`, `a[0].b`), for code that reads a tree without resolving it."""

from __future__ import annotations

from batchlint.loading.nodes import Mapping, Node, Sequence


def node_at(root: Node | None, dotted: str) -> Node | None:
    """The node at a dotted key path, or None. Keys that hold dots are not addressed."""
    node = root
    for part in dotted.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            if not isinstance(node, Sequence) or int(part[1:-1]) >= len(node.items):
                return None
            node = node.items[int(part[1:-1])]
            continue
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
        if node is None:
            return None
    return node

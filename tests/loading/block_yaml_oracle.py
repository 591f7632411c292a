"""The comparison of tests/loading/test_block_yaml.py: loading/block_yaml.py's document against
loading/yaml.py's (libyaml's events) for the same text, field by field."""

from __future__ import annotations

from batchlint.loading.nodes import Document, Mapping, Node, Scalar, Sequence, Span


def span_key(span: Span) -> tuple[object, ...]:
    return (span.file, span.line, span.column, span.end_line, span.end_column, span.start, span.end)


def tree(node: Node | None) -> object:
    """Everything later stages can read of a node: kind, span, text, tag, style, value and its type, children in order."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return ("scalar", span_key(node.span), node.raw, node.tag, node.style, type(node.value).__name__, repr(node.value))
    if isinstance(node, Sequence):
        return ("seq", span_key(node.span), [tree(item) for item in node.items])
    assert isinstance(node, Mapping)
    return ("map", span_key(node.span), [(tree(k), tree(v)) for k, v in node.items], node.keys(), [tree(m) for m in node._merges])


def document(doc: Document) -> object:
    return (
        doc.path,
        doc.text,
        doc.format,
        tree(doc.root),
        [(c.line, c.column, c.text, span_key(c.span)) for c in doc.comments],
        [(d.key, d.path, span_key(d.first), span_key(d.again)) for d in doc.duplicates],
        [(tag, span_key(span)) for tag, span in doc.unsafe_tags],
    )

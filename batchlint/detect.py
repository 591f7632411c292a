"""Detect: which dialect a loaded document is, by its content, never by its file name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from batchlint.dialects.base import Dialect, SignatureMatch
from batchlint.dialects.registry import candidates
from batchlint.loading.nodes import Document
from batchlint.loading.nodes import Mapping as MappingNode


def detect_match(doc: Document, user_dialects: Iterable[Mapping[str, object]] = ()) -> tuple[Dialect, SignatureMatch] | None:
    """The first dialect whose signature the document matches, and why; None for any other file."""
    if not isinstance(doc.root, MappingNode):
        return None
    for dialect in candidates(user_dialects):
        if dialect.formats is not None and doc.format not in dialect.formats:
            continue
        found = dialect.match(doc.root)
        if found is not None:
            return dialect, found
    return None


def detect(doc: Document, user_dialects: Iterable[Mapping[str, object]] = ()) -> Dialect | None:
    """The first dialect whose signature the document matches; None for any other file."""
    hit = detect_match(doc, user_dialects)
    return hit[0] if hit is not None else None

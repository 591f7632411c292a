"""Detect: which dialect a loaded document is, by its content, never by its file name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from batchlint.dialects.base import Dialect
from batchlint.dialects.registry import candidates
from batchlint.loading.nodes import Document
from batchlint.loading.nodes import Mapping as MappingNode


def detect(doc: Document, user_dialects: Iterable[Mapping[str, object]] = ()) -> Dialect | None:
    """The first dialect whose signature the document matches; None for any other file."""
    if not isinstance(doc.root, MappingNode):
        return None
    return next((d for d in candidates(user_dialects) if d.detect(doc.root)), None)

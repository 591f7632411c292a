"""JSON with comments (`.jsonc`, VS Code settings): `//` and `/* */` comments and trailing commas,
as the editors that write these files read them. They are blanked out (same offsets, newlines kept)
and the rest is read by the strict JSON reader, so every value keeps its line and column; the
comments become the document's comments."""

from __future__ import annotations

import re

from batchlint.loading.nodes import Comment, Document
from batchlint.loading.text import LineIndex

_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def strip_comments(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with comments and trailing commas replaced by spaces, and where the comments were."""
    out = list(text)
    comments: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"' and text[i] != "\n":
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
        else:
            i += 1
            continue
        comments.append((i, end))
        for j in range(i, end):
            if out[j] not in "\r\n":
                out[j] = " "
        i = end
    blanked = "".join(out)
    blanked = _TRAILING_COMMA.sub(lambda m: " " + m.group(1), blanked)
    return blanked, comments


def load_jsonc(path: str, text: str) -> Document:
    from batchlint.loading.json import load_json

    blanked, spans = strip_comments(text)
    doc = load_json(path, blanked)
    index = LineIndex(text)
    comments = [Comment(*index.position(a), text[a:b], index.span(path, a, b)) for a, b in spans]
    return Document(path, text, "jsonc", doc.root, comments, doc.duplicates)

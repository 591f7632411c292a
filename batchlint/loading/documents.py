"""The documents of a YAML stream (`---` separated), each as its own Document with positions in the
whole file, so detection can find the one a dialect claims (a Kubernetes file whose third document
is the PyTorchJob, after a Namespace and a ConfigMap).

How a multi-document file is loaded is the loader's business (loading/yaml.py): this module only
splits a loaded file's text at its document markers and reads each part in place — every other
document blanked to spaces with the newlines kept, so lines, columns and offsets stay the file's.
"""

from __future__ import annotations

import re

from batchlint.loading.nodes import Document, LoadError

# A document marker: `---` or `...` at the start of a line (block scalar content is indented, so
# a marker at column 1 always ends or starts a document).
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|\r?$)", re.M)


def _blank(text: str) -> str:
    return "".join(ch if ch in "\r\n" else " " for ch in text)


def split_documents(doc: Document) -> list[Document]:
    """Each document of a YAML stream (a file with one document: itself)."""
    if doc.format != "yaml" or "\n---" not in doc.text and not doc.text.startswith("---"):
        return [doc]
    from batchlint.loading.yaml import load_yaml

    text = doc.text
    bounds = [0, *(m.start() for m in _MARKER.finditer(text)), len(text)]
    parts: list[Document] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        body = text[start:end]
        if not body.strip() or body.strip() in ("---", "..."):
            continue
        piece = _blank(text[:start]) + body + _blank(text[end:])
        try:
            one = load_yaml(doc.path, piece)
        except LoadError:
            continue
        if one.root is None:
            continue
        comments = [c for c in doc.comments if start <= c.span.start < end]
        parts.append(Document(doc.path, text, "yaml", one.root, comments, one.duplicates, one.unsafe_tags))
    return parts or [doc]

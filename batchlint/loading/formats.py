"""Files that are neither `.yaml`/`.yml` nor `.json`: TOML, Python configs, JSON with comments, and
JSON under another name (a DeepSpeed config saved as `ds.conf`), each recognised by its extension or,
for other names, by its content. None means: read it as YAML, as before."""

from __future__ import annotations

import re

from batchlint.loading.nodes import Document, LoadError, LoadErrorKind


def load_other(path: str, text: str) -> Document | None:
    if path.endswith(".toml"):
        from batchlint.loading.toml import load_toml

        return load_toml(path, text)
    if path.endswith(".py"):
        from batchlint.loading.pyconfig import load_python

        return load_python(path, text)
    if path.endswith(".jsonc"):
        from batchlint.loading.jsonc import load_jsonc

        return load_jsonc(path, text)
    if text.lstrip("\ufeff \t\r\n").startswith("{") and not path.endswith((".yaml", ".yml")):
        from batchlint.loading.json import load_json

        return load_json(path, text)  # JSON by content: `1e5` is a number, as json.load reads it
    return None


_TEMPLATE = ("{{", "{%", "<%", "${{")


def unread_reason(path: str, error: LoadError, text: str | None = None) -> str | None:
    """Why a file that does not parse is not a finding: a Helm / Jinja / Go template (`{{ ... }}`),
    JSON with comments that no dialect claims (an editor's settings), or a Python file in another
    encoding. None: report the error."""
    if path.endswith(".py") and error.kind in (LoadErrorKind.ENCODING, LoadErrorKind.SYNTAX):
        return "Python config: not read (not UTF-8)"  # Python files may declare another encoding
    if error.kind != LoadErrorKind.SYNTAX:
        return None
    if text is None:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return None
    if any(marker in text for marker in _TEMPLATE) and re.search(r"\{\{.*?\}\}|\{%.*?%\}", text):
        return "a template (`{{ ... }}`): filled in before anything reads it"
    if path.endswith(".json"):
        from batchlint.detect import detect_match
        from batchlint.loading.jsonc import load_jsonc, strip_comments

        if strip_comments(text)[0] == text:
            return None  # no comments: a real syntax error
        try:
            doc = load_jsonc(path, text)
        except LoadError:
            return None
        from batchlint.loading.json import RELEVANT_KEYS
        from batchlint.loading.nodes import Mapping

        keys = set(doc.root.keys()) if isinstance(doc.root, Mapping) else set()
        if detect_match(doc) is None and not keys & RELEVANT_KEYS:
            return "JSON with comments (an editor's settings), not a training or launch config"
    return None

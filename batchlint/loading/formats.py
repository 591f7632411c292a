"""Files that are neither `.yaml`/`.yml` nor `.json`: TOML, Python configs, JSON with comments, and
JSON under another name (a DeepSpeed config saved as `ds.conf`), each recognised by its extension or,
for other names, by its content. None means: read it as YAML, as before."""

from __future__ import annotations

from batchlint.loading.nodes import Document


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

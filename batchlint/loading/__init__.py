"""Load: bytes -> text -> a node tree where every value keeps its file, line and column."""

from __future__ import annotations

from batchlint.loading.nodes import Document, LoadError, LoadErrorKind
from batchlint.loading.text import decode
from batchlint.paths import display_path

__all__ = ["Document", "LoadError", "LoadErrorKind", "display_path", "load_bytes", "load_path", "load_text", "read_file", "read_text"]


def load_text(path: str, text: str, syntax_only: bool = False) -> Document:
    if path.endswith((".toml", ".py", ".jsonc")) or not path.endswith((".json", ".yaml", ".yml")):
        from batchlint.loading.formats import load_other

        found = load_other(path, text)
        if found is not None:
            return found
    if path.endswith(".json"):
        from batchlint.loading.json import load_json

        return load_json(path, text, syntax_only)
    from batchlint.loading.block_yaml import load_block_yaml

    found = load_block_yaml(path, text, syntax_only)  # the common block YAML without importing PyYAML (block_yaml.py)
    if found is not None:
        return found
    from batchlint.lazyre import import_deferring_patterns

    import_deferring_patterns("yaml")  # PyYAML without the patterns it compiles at import (lazyre.py)
    from batchlint.loading.yaml import load_yaml

    return load_yaml(path, text, syntax_only)


def read_file(path: str, display: str | None = None) -> bytes:
    """A file's bytes through the bounded reader (loading/files.py: regular files only, at most
    10 MiB, never blocking on a FIFO or a device); a LoadError at 1:1 when it cannot be read."""
    from batchlint.loading.files import ReadError, read_bytes

    try:
        return read_bytes(path)
    except ReadError as exc:
        raise LoadError(display or path, 1, 1, exc.message, exc.help, LoadErrorKind(exc.kind)) from None


def load_path(path: str, display: str | None = None) -> Document:
    return load_bytes(display or path, read_file(path, display))


def load_bytes(display: str, data: bytes, syntax_only: bool = False) -> Document:
    """A document from the bytes of a file already read."""
    if not data:
        return load_text(display, "")
    return load_text(display, decode(display, data), syntax_only)


def read_text(path: str, display: str | None = None) -> str:
    """A file's text, strictly decoded (a launch script that is checked); LoadError when it cannot be read."""
    shown = display or path
    return decode(shown, read_file(path, shown))

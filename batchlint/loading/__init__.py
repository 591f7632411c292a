"""Load: bytes -> text -> a node tree where every value keeps its file, line and column."""

from __future__ import annotations

import os

from batchlint.loading.nodes import Document, LoadError
from batchlint.loading.text import decode

__all__ = ["Document", "LoadError", "display_path", "load_path", "load_text"]


def display_path(path: str) -> str:
    """How a path is shown: relative to the working directory when below it, else as given."""
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def load_text(path: str, text: str) -> Document:
    if path.endswith(".json"):
        from batchlint.loading.json import load_json

        return load_json(path, text)
    from batchlint.loading.yaml import load_yaml

    return load_yaml(path, text)


def load_path(path: str, display: str | None = None) -> Document:
    shown = display or path
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise LoadError(shown, 1, 1, "is a directory, not a file") from None
    except FileNotFoundError:
        raise LoadError(shown, 1, 1, "file not found") from None
    except OSError as exc:
        raise LoadError(shown, 1, 1, f"cannot read: {exc.strerror or exc}") from None
    if os.path.getsize(path) == 0:
        return load_text(shown, "")
    return load_text(shown, decode(shown, data))

"""A fact: one number or setting of the run, with where it came from."""

from __future__ import annotations

from batchlint.loading.nodes import Scalar, Span


class Fact:
    __slots__ = ("name", "value", "source", "key", "span", "node", "via", "note", "unresolved", "read_as")

    def __init__(self, name: str, value: object, source: str, key: str | None = None, span: Span | None = None,
                 node: Scalar | None = None, via: list[str] | None = None, note: str | None = None,
                 unresolved: str | None = None) -> None:
        self.name = name
        self.value = value
        self.source = source  # "file", "cli", "settings", "default", "derived"
        self.key = key  # dotted key path of the literal (or the CLI flag / settings key)
        self.span = span  # where the literal is; None for CLI, settings, defaults
        self.node = node  # the literal scalar, for fixes
        self.via = via or []  # interpolation sites followed to reach it
        self.note = note  # reading caveats, derivation formula
        self.unresolved = unresolved  # why the value could not be determined
        self.read_as: str | None = None  # the dialect key it was read as, when reached through interpolation

    def __repr__(self) -> str:
        return f"Fact({self.name}={self.value!r}, {self.source}, {self.key})"

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "value": self.value,
            "file": self.file,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "key": self.key,
            "source": self.source,
        }
        if self.via:
            out["via"] = list(self.via)
        if self.note:
            out["note"] = self.note
        if self.unresolved:
            out["unresolved"] = self.unresolved
        return out


def positive_int(value: object) -> int | None:
    """The value as a batch count, or None when it is not a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 else None
